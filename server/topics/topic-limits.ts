// Size limits on topics, filters and regexes. Every limit bounds work an untrusted client can cause.

export interface TopicLimits {
  /** UTF-8 bytes, for publish topics and subscription topics/filters. */
  maxTopicLength: number;
  /** Number of `/`-separated levels. */
  maxLevels: number;
  /** UTF-16 code units of a regex's source. */
  maxRegexLength: number;
  /**
   * Size of a compiled regex program (RE2JS `programSize()`). Source length alone does not bound it:
   * `\pL{999}` is 9 characters but about 1,000 instructions, and when the DFA gives up, matching costs
   * topic length x program size. Optional so that limits built from older config stay valid.
   */
  maxRegexProgramSize?: number;
  /**
   * Bytes of match state (re2js's lazy DFA cache) one compiled regex may keep; past it the DFA is
   * reset, or matching falls back to the NFA. re2js's own default is 8 MiB per regex.
   */
  maxRegexMatchStateBytes?: number;
}

export const DEFAULT_MAX_REGEX_PROGRAM_SIZE = 1000;
export const DEFAULT_MAX_REGEX_MATCH_STATE_BYTES = 8 * 1024;

export const DEFAULT_TOPIC_LIMITS: Readonly<Required<TopicLimits>> = Object.freeze({
  maxTopicLength: 1024,
  maxLevels: 64,
  maxRegexLength: 512,
  maxRegexProgramSize: DEFAULT_MAX_REGEX_PROGRAM_SIZE,
  maxRegexMatchStateBytes: DEFAULT_MAX_REGEX_MATCH_STATE_BYTES,
});
