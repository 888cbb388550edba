// The regex work the topic engine does is bounded structurally: a subscribe tests
// no cached route, a new topic tests each distinct regex once, and a cached route catches up with
// only the regexes added since it was computed, each tested once. Counted, not timed.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOPIC_LIMITS,
  parseSubscriptionPattern,
  TopicEngine,
  type SubscriptionPattern,
} from '../../server/topics/index.js';

const regex = (source: string): SubscriptionPattern =>
  parseSubscriptionPattern({ regex: source }, DEFAULT_TOPIC_LIMITS);

/** A regex subscription in a vhost namespace, as VhostNamespace.pattern() makes it. */
function regexIn(namespace: string, source: string): SubscriptionPattern {
  const pattern = regex(source);
  if (pattern.kind !== 'regex') throw new Error('not a regex');
  return { ...pattern, namespace };
}

function engineWithCounter(): { engine: TopicEngine<number>; counters: { regexEvaluations: number } } {
  const counters = { regexEvaluations: 0, routesEvictedForBytes: 0, routeCacheBytes: 0 };
  return { engine: new TopicEngine<number>({ counters }), counters };
}

describe('regex work in the topic engine', () => {
  it('tests no cached route when a regex subscription is made; each route catches up once, at its next lookup', () => {
    const { engine, counters } = engineWithCounter();
    const topics = Array.from({ length: 1000 }, (_, i) => `t/${i}`);
    for (const topic of topics) engine.route(topic);
    expect(counters.regexEvaluations).toBe(0);

    engine.add(regex('^t/(1|2)$'), 1);
    expect(counters.regexEvaluations).toBe(0);

    expect(engine.route('t/1').entries).toEqual([1]);
    expect(engine.route('t/3').entries).toEqual([]);
    expect(counters.regexEvaluations).toBe(2);
    engine.route('t/1');
    engine.route('t/3');
    expect(counters.regexEvaluations).toBe(2);
  });

  it('tests each distinct regex once per new topic, however many subscriptions share it', () => {
    const { engine, counters } = engineWithCounter();
    // Separately compiled, as separate subscribers' would be: grouped by their source.
    for (let i = 0; i < 400; i++) engine.add(regex('[ab]*a[ab]{9}c'), i);
    engine.add(regex('^x'), 400);
    const route = engine.route(`${'ab'.repeat(50)}c`);
    expect(route.entries).toHaveLength(400);
    expect(counters.regexEvaluations).toBe(2);
  });

  it('catches a cached route up with only the regexes added since, each distinct one tested once', () => {
    const { engine, counters } = engineWithCounter();
    engine.add(regex('^a'), 0);
    expect(engine.route('a/b').entries).toEqual([0]);
    expect(counters.regexEvaluations).toBe(1);

    for (let i = 1; i <= 50; i++) engine.add(regex('b$'), i);
    engine.add(regex('^z'), 51);
    const entries = engine.route('a/b').entries;
    expect([...entries].sort((x, y) => x - y)).toEqual(Array.from({ length: 51 }, (_, i) => i));
    expect(counters.regexEvaluations).toBe(3); // '^a' is not tested again; 'b$' once for 50 subscriptions; '^z'
  });

  it('caps the match state a compiled regex keeps (the lazy DFA of re2js, 8 MiB per regex by default)', () => {
    const limits = { ...DEFAULT_TOPIC_LIMITS, maxRegexMatchStateBytes: 16 * 1024 };
    const pattern = parseSubscriptionPattern({ regex: '[ab]*a[ab]{900}c' }, limits);
    if (pattern.kind !== 'regex') throw new Error('expected a regex pattern');
    let seed = 7;
    let topic = '';
    for (let i = 0; i < 1023; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      topic += (seed >> 16) & 1 ? 'a' : 'b';
    }
    topic += 'c';
    expect(pattern.regex.test(topic)).toBe(topic[1023 - 901] === 'a');
    const dfa = pattern.regex.re2().dfa;
    expect(dfa.stateBudget).toBe(16 * 1024);
    let held = 0; // re2js's own accounting: 150 bytes a state plus 8 per instruction it lists
    for (const state of dfa.cachedStates()) held += 150 + 8 * (state as { nfaStates: unknown[] }).nfaStates.length;
    expect(held).toBeLessThanOrEqual(16 * 1024);

    // The same search with re2js's default budget keeps a state per topic character.
    const uncapped = parseSubscriptionPattern(
      { regex: '[ab]*a[ab]{900}c' },
      { ...limits, maxRegexMatchStateBytes: 8 * 1024 * 1024 },
    );
    if (uncapped.kind !== 'regex') throw new Error('expected a regex pattern');
    uncapped.regex.test(topic);
    expect(uncapped.regex.re2().dfa.stateCount).toBeGreaterThan(1000);
  });

  it('forgets a removed regex: a route that never saw it does not catch it up', () => {
    const { engine, counters } = engineWithCounter();
    const route = engine.route('a');
    const gone = engine.add(regex('a'), 1);
    engine.add(regex('^a$'), 2);
    engine.remove(gone);
    expect(engine.route('a')).toBe(route);
    expect(route.entries).toEqual([2]);
    expect(counters.regexEvaluations).toBe(1);
    expect(engine.matchUncached('a')).toEqual([2]);
  });

  it('tests a namespaced regex only on the topics of its namespace, on their client part, once per (namespace, source)', () => {
    const { engine, counters } = engineWithCounter();
    const inA = (source: string): SubscriptionPattern => regexIn('\u0000a.com', source);
    const inB = (source: string): SubscriptionPattern => regexIn('\u0000b.com', source);
    engine.add(regex('^orders/'), 0);
    engine.add(inA('^orders/'), 1);
    engine.add(inA('^orders/'), 2);
    engine.add(inB('^orders/'), 3);
    // The same source in three namespaces: three groups, but a topic tests only its own namespace's.
    expect(engine.route('\u0000a.com/orders/1').entries).toEqual([1, 2]);
    expect(counters.regexEvaluations).toBe(1);
    expect(engine.route('orders/1').entries).toEqual([0]);
    expect(counters.regexEvaluations).toBe(2);
    expect(engine.route('\u0000b.com/orders/1').entries).toEqual([3]);
    expect(counters.regexEvaluations).toBe(3);
    // No regex in this namespace: nothing tested. The namespace level alone: nothing tested either.
    expect(engine.route('\u0000c.com/orders/1').entries).toEqual([]);
    expect(engine.route('\u0000a.com').entries).toEqual([]);
    expect(counters.regexEvaluations).toBe(3);

    // Catching up tests only the new regexes of the route's own namespace.
    engine.add(inB('1$'), 4);
    engine.add(regex('1$'), 5);
    engine.add(inA('1$'), 6);
    engine.add(inA('1$'), 7);
    expect(engine.route('\u0000a.com/orders/1').entries).toEqual([1, 2, 6, 7]);
    expect(counters.regexEvaluations).toBe(4);
    expect(engine.route('orders/1').entries).toEqual([0, 5]);
    expect(counters.regexEvaluations).toBe(5);
  });

  it('never tests a default-namespace regex on a namespaced topic', () => {
    const { engine, counters } = engineWithCounter();
    engine.add(regex('.*'), 0);
    expect(engine.route('\u0000a.com/x').entries).toEqual([]);
    expect(engine.matchUncached('\u0000a.com/x')).toEqual([]);
    expect(counters.regexEvaluations).toBe(0);
    expect(engine.route('x').entries).toEqual([0]);
  });

  it('drops the group of a namespace when its last subscription goes, and keeps the other namespaces apart', () => {
    const { engine } = engineWithCounter();
    const a = engine.add(regexIn('\u0000a.com', 'x'), 1);
    engine.add(regex('x'), 2);
    expect(engine.matchUncached('\u0000a.com/x')).toEqual([1]);
    engine.remove(a);
    expect(engine.matchUncached('\u0000a.com/x')).toEqual([]);
    expect(engine.matchUncached('x')).toEqual([2]);
    const again = engine.add(regexIn('\u0000a.com', 'x'), 3);
    expect(engine.route('\u0000a.com/x').entries).toEqual([3]);
    engine.remove(again);
    expect(engine.route('\u0000a.com/x').entries).toEqual([]);
  });
});
