// A deliberately naive matcher, independent of the engine's trie and wildcardMatches, used as an
// oracle: split the topic, compare level by level, search regexes without anchoring.
//
// A topic starting with NUL is a vhost's: `\u0000{vhost}/{client topic}`. The oracle models
// namespaces the way the engine promises to behave: a pattern only matches topics of its own
// namespace, and there it matches exactly what its client-level pattern matches on the client topic.
import { RE2JS } from 're2js';
import type { SubscriptionPattern } from '../../server/topics/index.js';

const referenceRegexes = new Map<string, RE2JS>();

/** Independent oracle for one pattern: naive split-based MQTT matching and an un-anchored RE2 search. */
export function referenceMatches(pattern: SubscriptionPattern, topic: string): boolean {
  if (pattern.kind === 'exact') return pattern.topic === topic;
  const levels = topic.split('/');
  const namespaced = topic.startsWith('\u0000');
  if (pattern.kind === 'regex') {
    if ((pattern.namespace ?? '') !== (namespaced ? levels[0] : '')) return false;
    if (namespaced && levels.length < 2) return false;
    let regex = referenceRegexes.get(pattern.source);
    if (regex === undefined) referenceRegexes.set(pattern.source, (regex = RE2JS.compile(pattern.source)));
    return regex.matcher(namespaced ? levels.slice(1).join('/') : topic).find();
  }
  const filter = pattern.levels;
  if (namespaced) {
    // Only a literal namespace level matches, and then the rest is an ordinary filter on the client topic.
    if (filter[0] !== levels[0] || levels.length < 2 || filter.length < 2) return false;
    const rest = filter.slice(1);
    return referenceMatches({ kind: 'wildcard', filter: rest.join('/'), levels: rest }, levels.slice(1).join('/'));
  }
  if ((filter[0] === '+' || filter[0] === '#') && topic.startsWith('$')) return false;
  for (let i = 0; i < filter.length; i++) {
    if (filter[i] === '#') return true;
    if (i >= levels.length) return false;
    if (filter[i] !== '+' && filter[i] !== levels[i]) return false;
  }
  return filter.length === levels.length;
}
