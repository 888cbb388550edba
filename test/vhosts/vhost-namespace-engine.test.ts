// A vhost's hidden namespace level in the topic engine: wildcards and regexes stay in their own
// namespace, the `$` rule moves to the level after the namespace, and the cache agrees with a fresh match.
import { expect, it } from 'vitest';
import {
  parseSubscriptionPattern,
  TopicEngine,
  wildcardMatches,
  DEFAULT_TOPIC_LIMITS,
} from '../../server/topics/index.js';
import { VhostNamespace } from '../../server/vhosts/vhost-namespace.js';

const A = new VhostNamespace('a.example');
const B = new VhostNamespace('b.example');
const D = VhostNamespace.DEFAULT;
const parse = (text: string) =>
  text.startsWith('re:')
    ? parseSubscriptionPattern({ regex: text.slice(3) }, DEFAULT_TOPIC_LIMITS)
    : parseSubscriptionPattern({ topic: text }, DEFAULT_TOPIC_LIMITS);

it('maps topics in and out of a namespace; the default namespace is the plain topics', () => {
  expect(A.topic('x/1')).toBe('\u0000a.example/x/1');
  expect(VhostNamespace.clientTopic(A.topic('x/1'))).toBe('x/1');
  expect(VhostNamespace.namespaceOf(A.topic('x/1'))).toBe('\u0000a.example');
  expect(VhostNamespace.ofInternal(A.topic('id')).name).toBe('a.example');
  expect(D.topic('x/1')).toBe('x/1');
  expect(VhostNamespace.clientTopic('x/1')).toBe('x/1');
  const pattern = parse('x/#');
  expect(D.pattern(pattern)).toBe(pattern);
});

it('keeps wildcards, regexes and exact subscriptions in their namespace, cached or not', () => {
  const engine = new TopicEngine<string>();
  const subscriptions: [string, VhostNamespace, string][] = [];
  for (const [name, ns] of [
    ['d', D],
    ['a', A],
    ['b', B],
  ] as const)
    for (const filter of ['#', '+/1', 'x/1', 're:.*', 're:^x', '$SYS/#', '+/+']) {
      const id = `${name}:${filter}`;
      engine.add(ns.pattern(parse(filter)), id);
      subscriptions.push([id, ns, filter]);
    }
  const topics = ['x/1', 'y/1', '$SYS/up', 'x'];
  for (const ns of [D, A, B])
    for (const topic of topics) {
      const internal = ns.topic(topic);
      const expected = subscriptions
        .filter(([, own, filter]) => own === ns && matchesPlain(filter, topic))
        .map(([id]) => id)
        .sort();
      expect([...engine.route(internal).entries].sort(), `${ns.name} ${topic}`).toEqual(expected);
      expect(engine.matchUncached(internal).sort()).toEqual(expected);
    }
});

/** What a filter matches among plain topics (no namespaces): the reference the namespaces must equal. */
function matchesPlain(filter: string, topic: string): boolean {
  if (filter.startsWith('re:')) return new RegExp(filter.slice(3)).test(topic);
  if (!filter.includes('+') && !filter.includes('#')) return filter === topic;
  return wildcardMatches(filter.split('/'), topic);
}

it('applies the `$` rule after the namespace level, and never matches the level alone', () => {
  const levels = (filter: string): readonly string[] => {
    const pattern = A.pattern(parse(filter));
    if (pattern.kind !== 'wildcard') throw new Error(`${filter} is not a wildcard filter`);
    return pattern.levels;
  };
  expect(wildcardMatches(levels('#'), A.topic('$SYS/x'))).toBe(false);
  expect(wildcardMatches(levels('+/x'), A.topic('$SYS/x'))).toBe(false);
  expect(wildcardMatches(levels('$SYS/#'), A.topic('$SYS/x'))).toBe(true);
  expect(wildcardMatches(levels('#'), '\u0000a.example')).toBe(false);
  expect(wildcardMatches(['#'], A.topic('x'))).toBe(false);
  expect(wildcardMatches(['+', 'x'], A.topic('x'))).toBe(false);
});
