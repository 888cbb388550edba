// Public surface of the topic engine.
export { TopicError, type TopicErrorCode } from './topic-errors.js';
export {
  DEFAULT_MAX_REGEX_MATCH_STATE_BYTES,
  DEFAULT_MAX_REGEX_PROGRAM_SIZE,
  DEFAULT_TOPIC_LIMITS,
  type TopicLimits,
} from './topic-limits.js';
export {
  RegexBudget,
  RegexLease,
  type RegexBudgetCounters,
  type RegexBudgetLimits,
  type RegexPattern,
} from './regex-budget.js';
export type { RegexCounters } from './regex-index.js';
export {
  parseSubscriptionPattern,
  validatePublishTopic,
  type SubscriptionPattern,
  type SubscriptionSpec,
} from './topic-validation.js';
export { wildcardMatches } from './wildcard-match.js';
export { WildcardTrie } from './wildcard-trie.js';
export type { Route } from './route.js';
export { SubscriptionHandle } from './route.js';
export {
  DEFAULT_ROUTE_CACHE_MAX_BYTES,
  DEFAULT_ROUTE_CACHE_SIZE,
  estimatedRouteBytes,
  ROUTE_BASE_BYTES,
  ROUTE_ENTRY_BYTES,
  TopicEngine,
  type TopicEngineCounters,
  type TopicEngineObserver,
  type TopicEngineOptions,
} from './topic-engine.js';
