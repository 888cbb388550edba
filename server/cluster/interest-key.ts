// A subscription's interest as the cluster replicates it: a string key per distinct pattern, the
// same on every node, so that a node's interest is a set of strings in Redis and its changes are
// additions and removals. `$share` groups are keys of their own: which node delivers a group's
// message is decided per message (cluster-router.ts).
//
// A key holds its pattern's internal text (vhosts/vhost-namespace.ts storedText): a vhost's exact
// topic, filter or shared group's filter has its namespace level, `e:\u0000{vhost}/a/b`,
// `s:{share}/\u0000{vhost}/a/#`; a vhost's regex is `r:\u0000{vhost}/{source}`. No source starts
// with NUL (topics/compile-topic-regex.ts), so `r:` keys of the default namespace are unambiguous,
// and every default-namespace key is what it was before vhosts.
import { parseSubscriptionPattern, type SubscriptionPattern, type TopicLimits } from '../topics/index.js';
import { VhostNamespace } from '../vhosts/vhost-namespace.js';

/**
 * `e:` exact topic, `w:` wildcard filter, `r:` regex source (`r:\u0000{vhost}/{source}` in a
 * vhost), `s:{share}/{filter}` a shared group.
 */
export type InterestKey = string;

export function interestKeyOf(pattern: SubscriptionPattern, shareGroup: string | null): InterestKey {
  if (shareGroup !== null) return `s:${shareGroup}`;
  switch (pattern.kind) {
    case 'exact':
      return `e:${pattern.topic}`;
    case 'wildcard':
      return `w:${pattern.filter}`;
    case 'regex':
      return `r:${VhostNamespace.storedText(pattern)}`;
  }
}

export interface ParsedInterest {
  readonly pattern: SubscriptionPattern;
  /** The `$share` group's key (`{share}/{filter}`), or null. */
  readonly share: string | null;
}

/**
 * The pattern of another node's key, under this node's topic limits. A key that does not parse
 * here (another node allows longer topics or bigger regexes) matches every topic: "may match" is
 * enough for routing, and the receiving node decides its own deliveries.
 */
export function parseInterestKey(key: InterestKey, limits: TopicLimits): ParsedInterest | null {
  const kind = key.slice(0, 2);
  const body = key.slice(2);
  try {
    switch (kind) {
      case 'e:':
      case 'w:':
        return { pattern: VhostNamespace.parseStoredPattern({ topic: body }, limits), share: null };
      case 'r:':
        return { pattern: VhostNamespace.parseStoredPattern({ regex: body }, limits), share: null };
      case 's:': {
        const slash = body.indexOf('/');
        if (slash <= 0) return null;
        return { pattern: VhostNamespace.parseStoredPattern({ topic: body.slice(slash + 1) }, limits), share: body };
      }
      default:
        return null;
    }
  } catch {
    // Everything in the key's own namespace: no other namespace's topic can match its pattern.
    const text = kind === 's:' ? body.slice(body.indexOf('/') + 1) : body;
    return {
      pattern: matchingEverything(VhostNamespace.namespaceOf(text), limits),
      share: kind === 's:' ? body : null,
    };
  }
}

function matchingEverything(namespace: string, limits: TopicLimits): SubscriptionPattern {
  const pattern = parseSubscriptionPattern({ regex: '.*' }, limits);
  return namespace === '' || pattern.kind !== 'regex' ? pattern : { ...pattern, namespace };
}
