// Matchers for one concrete topic (or admin path), fully resolved: no placeholders left, nothing
// compiled per call. Entitlement patterns match topics beginning with `$` like any other topic
// (unlike MQTT subscriptions): a deny rule on `#` must cover system topics too.
import type { RE2JS } from 're2js';

export interface TopicMatcher {
  matches(topic: string): boolean;
}

export const MATCH_NOTHING: TopicMatcher = Object.freeze({ matches: () => false });
export const MATCH_EVERYTHING: TopicMatcher = Object.freeze({ matches: () => true });

export class ExactMatcher implements TopicMatcher {
  constructor(private readonly topic: string) {}

  matches(topic: string): boolean {
    return topic === this.topic;
  }
}

/**
 * An MQTT-style filter as levels: a string is compared literally (so a level that came from a
 * user name such as "+" is just the text "+"), null is `+` (any one level), and `rest` is a
 * trailing `#` (the parent level and any number of levels below it).
 */
export class LevelMatcher implements TopicMatcher {
  constructor(
    private readonly levels: readonly (string | null)[],
    private readonly rest: boolean,
  ) {}

  /** Walks the topic in place instead of splitting it, so a check allocates nothing. */
  matches(topic: string): boolean {
    const length = topic.length;
    const levels = this.levels;
    let start = 0;
    for (let i = 0; i < levels.length; i++) {
      if (start > length) return false;
      let end = topic.indexOf('/', start);
      if (end === -1) end = length;
      const level = levels[i];
      if (level !== null && (end - start !== level.length || !topic.startsWith(level, start))) return false;
      start = end + 1;
    }
    return this.rest || start > length;
  }
}

/** A regex that must match the whole topic: a `re:` pattern is anchored, so `a/.*` never matches `xa/b`. */
export class RegexMatcher implements TopicMatcher {
  constructor(private readonly regex: RE2JS) {}

  matches(topic: string): boolean {
    return this.regex.testExact(topic);
  }
}
