// Bounds on what a filter may cost to compile and to run. Filters come from untrusted clients.

/** UTF-16 code units of the expression text. */
export const MAX_FILTER_LENGTH = 4096;

/**
 * Nesting depth of the AST (the root is depth 1). Bounds recursion when compiling and when
 * evaluating; note each `and`/`or` in a chain nests one level, so long lists belong in `in [...]`.
 */
export const MAX_FILTER_DEPTH = 64;

/** UTF-16 code units of one regex literal's pattern. */
export const MAX_FILTER_REGEX_LENGTH = 512;

/** Constant arrays at least this long are searched through a Set rather than a loop. */
export const SET_MEMBERSHIP_THRESHOLD = 8;
