// Tests one MQTT wildcard filter against one topic without splitting the topic. Used when a cached
// route catches up with a few new wildcard subscriptions, where split() would allocate per route.

const SLASH = '/';
const NUL = 0x00;
const DOLLAR = 0x24;

/**
 * True if the filter (already split into levels and validated) matches `topic`. `+` matches exactly
 * one level, a trailing `#` matches the parent level and any number of further levels, and a filter
 * starting with a wildcard never matches a topic starting with `$` [MQTT-4.7.2-1].
 *
 * A topic starting with NUL is a vhost's (vhosts/vhost-namespace.ts): its first level is the hidden
 * namespace level, which only a literal level matches, so a first-level wildcard never matches it.
 * Inside the namespace the `$` rule applies one level down: a wildcard at level 1 does not match a
 * topic whose level 1 starts with `$`. And a `#` at level 1 does not match its parent level there:
 * the namespace level alone is no client's topic.
 */
export function wildcardMatches(filterLevels: readonly string[], topic: string): boolean {
  const length = topic.length;
  const first = topic.charCodeAt(0);
  // Start of the current topic level; length + 1 once every level has been consumed.
  let start = 0;
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    if (level === '#') return i > 1 || !wildcardRefused(topic, first, i, start);
    if (start > length) return false;
    let end = topic.indexOf(SLASH, start);
    if (end === -1) end = length;
    if (level === '+') {
      if (i < 2 && wildcardRefused(topic, first, i, start)) return false;
    } else if (end - start !== level.length || !topic.startsWith(level, start)) {
      return false;
    }
    start = end + 1;
  }
  return start > length;
}

/**
 * Whether a wildcard at filter level `i` (0 or 1), whose topic level starts at `start`, is refused
 * by the `$` and namespace rules. `first` is the topic's first char code.
 */
function wildcardRefused(topic: string, first: number, i: number, start: number): boolean {
  if (i === 0) return first === DOLLAR || first === NUL;
  // Level 1 of a vhost's topic: absent (the namespace level alone), or starting with `$`.
  return first === NUL && (start > topic.length || topic.charCodeAt(start) === DOLLAR);
}
