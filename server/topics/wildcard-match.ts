// Tests one MQTT wildcard filter against one topic without splitting the topic. Used when a cached
// route catches up with a few new wildcard subscriptions, where split() would allocate per route.

const SLASH = '/';
const DOLLAR = 0x24;
const NUL = 0x00;

/**
 * True if the filter (already split into levels and validated) matches `topic`. `+` matches exactly
 * one level, a trailing `#` matches the parent level and any number of further levels, and a filter
 * starting with a wildcard never matches a topic starting with `$` [MQTT-4.7.2-1].
 */
export function wildcardMatches(filterLevels: readonly string[], topic: string): boolean {
  const length = topic.length;
  // A vhost's topic (its first level NUL and the vhost's name, docs/vhosts.md): a wildcard never
  // matches that hidden level, and the `$` rule applies to the level after it.
  const namespaced = topic.charCodeAt(0) === NUL;
  // Start of the current topic level; length + 1 once every level has been consumed.
  let start = 0;
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    if (level === '#') return !isProtectedLevel(topic, i, start, namespaced);
    if (start > length) return false;
    let end = topic.indexOf(SLASH, start);
    if (end === -1) end = length;
    if (level === '+') {
      if (isProtectedLevel(topic, i, start, namespaced)) return false;
    } else if (end - start !== level.length || !topic.startsWith(level, start)) {
      return false;
    }
    start = end + 1;
  }
  return start > length;
}

/**
 * Whether a wildcard at filter level `i` (the topic level starting at `start`) may not match it:
 * level 0 of a `$` topic [MQTT-4.7.2-1]; in a vhost's topic, level 0 (the hidden namespace level)
 * and level 1 when it starts with `$`.
 */
function isProtectedLevel(topic: string, i: number, start: number, namespaced: boolean): boolean {
  if (i === 0) return namespaced || topic.charCodeAt(0) === DOLLAR;
  return namespaced && i === 1 && (start >= topic.length || topic.charCodeAt(start) === DOLLAR);
}
