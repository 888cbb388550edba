// A deliberately naive matcher, independent of the engine's trie and wildcardMatches, used as an
// oracle: split the topic, compare level by level, search regexes without anchoring.
import { RE2JS } from 're2js';
import type { SubscriptionPattern } from '../../server/topics/index.js';

const referenceRegexes = new Map<string, RE2JS>();

/** Independent oracle for one pattern: naive split-based MQTT matching and an un-anchored RE2 search. */
export function referenceMatches(pattern: SubscriptionPattern, topic: string): boolean {
  if (pattern.kind === 'exact') return pattern.topic === topic;
  if (pattern.kind === 'regex') {
    let regex = referenceRegexes.get(pattern.source);
    if (regex === undefined) referenceRegexes.set(pattern.source, (regex = RE2JS.compile(pattern.source)));
    return regex.matcher(topic).find();
  }
  const filter = pattern.levels;
  const levels = topic.split('/');
  if ((filter[0] === '+' || filter[0] === '#') && topic.startsWith('$')) return false;
  for (let i = 0; i < filter.length; i++) {
    if (filter[i] === '#') return true;
    if (i >= levels.length) return false;
    if (filter[i] !== '+' && filter[i] !== levels[i]) return false;
  }
  return filter.length === levels.length;
}
