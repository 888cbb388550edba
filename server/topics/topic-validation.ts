// Validation of publish topics and parsing of subscription specs into patterns. Runs once per
// publish, so the topic scan is a single pass over char codes with no allocation.
import type { RE2JS } from 're2js';
import { compileSubscriptionRegex } from './compile-topic-regex.js';
import { quoteInput, TopicError } from './topic-errors.js';
import type { TopicLimits } from './topic-limits.js';

export { DEFAULT_TOPIC_LIMITS, type TopicLimits } from './topic-limits.js';

export type SubscriptionPattern =
  | { kind: 'exact'; topic: string }
  | { kind: 'wildcard'; filter: string; levels: readonly string[] }
  | {
      kind: 'regex';
      source: string;
      regex: RE2JS;
      /**
       * The vhost namespace level (`\u0000{vhost}`) whose topics it matches, tested on their client
       * part (after that level and its `/`); absent: the default namespace, whose topics have no NUL.
       */
      namespace?: string;
    };

/** A subscribe request's selector: exactly one of the two must be present. */
export interface SubscriptionSpec {
  topic?: string;
  regex?: string;
}

const NUL = 0x00;
const HASH = 0x23;
const PLUS = 0x2b;
const SLASH = 0x2f;
const HIGH_SURROGATE_MIN = 0xd800;
const HIGH_SURROGATE_MAX = 0xdbff;
const LOW_SURROGATE_MIN = 0xdc00;
const LOW_SURROGATE_MAX = 0xdfff;
/** A UTF-16 code unit never needs more than 3 UTF-8 bytes (a surrogate pair is 2 units, 4 bytes). */
const MAX_UTF8_BYTES_PER_UNIT = 3;

/** Throws TopicError unless `topic` is a valid topic to publish on. */
export function validatePublishTopic(topic: string, limits: TopicLimits): void {
  scanTopic(topic, limits, false);
}

/** Turns a subscribe request's `topic` or `regex` into a validated, ready-to-match pattern. */
export function parseSubscriptionPattern(spec: SubscriptionSpec, limits: TopicLimits): SubscriptionPattern {
  const { topic, regex } = spec;
  if (topic !== undefined && regex === undefined) {
    const isFilter = scanTopic(topic, limits, true);
    return isFilter ? { kind: 'wildcard', filter: topic, levels: topic.split('/') } : { kind: 'exact', topic };
  }
  if (regex !== undefined && topic === undefined) {
    return { kind: 'regex', source: regex, regex: compileSubscriptionRegex(regex, limits) };
  }
  throw new TopicError('INVALID_TOPIC', 'exactly one of topic or regex is required');
}

/**
 * One pass over `topic` checking everything at once. Returns whether it contains wildcards (only
 * possible when `allowWildcards`, i.e. for subscription filters, where MQTT placement rules apply).
 */
function scanTopic(topic: unknown, limits: TopicLimits, allowWildcards: boolean): boolean {
  if (typeof topic !== 'string' || topic.length === 0) {
    throw new TopicError('INVALID_TOPIC', 'topic must be a non-empty string');
  }
  const length = topic.length;
  // Every code unit is at least one byte: reject oversized input before scanning it.
  if (length > limits.maxTopicLength) throw topicTooLong(topic, limits);

  let levels = 1;
  let hasWildcard = false;
  for (let i = 0; i < length; i++) {
    const c = topic.charCodeAt(i);
    if (c === SLASH) {
      levels++;
    } else if (c <= PLUS) {
      // NUL, '#' and '+' all sort at or below '+', so ordinary characters take one comparison.
      if (c === NUL) throw new TopicError('INVALID_TOPIC', `topic contains a NUL character: ${quoteInput(topic)}`);
      if (c === PLUS || c === HASH) {
        if (!allowWildcards) {
          throw new TopicError(
            'INVALID_TOPIC',
            `'${String.fromCharCode(c)}' is not allowed in a publish topic: ${quoteInput(topic)}`,
          );
        }
        checkWildcardPlacement(topic, i, c);
        hasWildcard = true;
      }
    } else if (c >= HIGH_SURROGATE_MIN && c <= LOW_SURROGATE_MAX) {
      // A lone surrogate has no UTF-8 encoding; accepting it would make byte counts and matching disagree.
      const next = i + 1 < length ? topic.charCodeAt(i + 1) : 0;
      if (c > HIGH_SURROGATE_MAX || next < LOW_SURROGATE_MIN || next > LOW_SURROGATE_MAX) {
        throw new TopicError('INVALID_TOPIC', `topic is not valid UTF-16 (unpaired surrogate): ${quoteInput(topic)}`);
      }
      i++;
    }
  }

  if (levels > limits.maxLevels) {
    throw new TopicError('TOPIC_TOO_LONG', `topic has ${levels} levels; the limit is ${limits.maxLevels}`);
  }
  if (
    length * MAX_UTF8_BYTES_PER_UNIT > limits.maxTopicLength &&
    Buffer.byteLength(topic, 'utf8') > limits.maxTopicLength
  ) {
    throw topicTooLong(topic, limits);
  }
  return hasWildcard;
}

/** MQTT rules: '+' and '#' each fill a whole level, and '#' may only be the last level. */
function checkWildcardPlacement(filter: string, index: number, c: number): void {
  const wildcard = String.fromCharCode(c);
  const startsLevel = index === 0 || filter.charCodeAt(index - 1) === SLASH;
  const isLast = index + 1 === filter.length;
  const endsLevel = isLast || filter.charCodeAt(index + 1) === SLASH;
  if (!startsLevel || !endsLevel) {
    throw new TopicError('INVALID_TOPIC', `'${wildcard}' must occupy a whole topic level in ${quoteInput(filter)}`);
  }
  if (c === HASH && !isLast) {
    throw new TopicError('INVALID_TOPIC', `'#' must be the last topic level in ${quoteInput(filter)}`);
  }
}

function topicTooLong(topic: string, limits: TopicLimits): TopicError {
  const bytes = Buffer.byteLength(topic, 'utf8');
  return new TopicError('TOPIC_TOO_LONG', `topic is ${bytes} bytes; the limit is ${limits.maxTopicLength}`);
}
