// A subscription's interest as the cluster replicates it: a string key per distinct pattern, the
// same on every node, so that a node's interest is a set of strings in Redis and its changes are
// additions and removals. `$share` groups are keys of their own: which node delivers a group's
// message is decided per message (cluster-router.ts).
import { parseSubscriptionPattern, type SubscriptionPattern, type TopicLimits } from '../topics/index.js';

/** `e:` exact topic, `w:` wildcard filter, `r:` regex source, `s:{share}/{filter}` a shared group. */
export type InterestKey = string;

export function interestKeyOf(pattern: SubscriptionPattern, shareGroup: string | null): InterestKey {
  if (shareGroup !== null) return `s:${shareGroup}`;
  switch (pattern.kind) {
    case 'exact':
      return `e:${pattern.topic}`;
    case 'wildcard':
      return `w:${pattern.filter}`;
    case 'regex':
      return `r:${pattern.source}`;
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
        return { pattern: parseSubscriptionPattern({ topic: body }, limits), share: null };
      case 'r:':
        return { pattern: parseSubscriptionPattern({ regex: body }, limits), share: null };
      case 's:': {
        const slash = body.indexOf('/');
        if (slash <= 0) return null;
        return { pattern: parseSubscriptionPattern({ topic: body.slice(slash + 1) }, limits), share: body };
      }
      default:
        return null;
    }
  } catch {
    return { pattern: parseSubscriptionPattern({ regex: '.*' }, limits), share: kind === 's:' ? body : null };
  }
}
