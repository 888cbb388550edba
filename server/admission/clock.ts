// The time source of the rate limits: milliseconds, as Date.now gives them. The broker passes
// Date.now; tests pass a frozen clock so that counting (not timing) decides what they check.
export type Clock = () => number;
