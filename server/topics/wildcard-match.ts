// Tests one MQTT wildcard filter against one topic without splitting the topic. Used when a cached
// route catches up with a few new wildcard subscriptions, where split() would allocate per route.

const SLASH = '/';
const DOLLAR = 0x24;

/**
 * True if the filter (already split into levels and validated) matches `topic`. `+` matches exactly
 * one level, a trailing `#` matches the parent level and any number of further levels, and a filter
 * starting with a wildcard never matches a topic starting with `$` [MQTT-4.7.2-1].
 */
export function wildcardMatches(filterLevels: readonly string[], topic: string): boolean {
  const length = topic.length;
  // Start of the current topic level; length + 1 once every level has been consumed.
  let start = 0;
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    if (level === '#') return i !== 0 || topic.charCodeAt(0) !== DOLLAR;
    if (start > length) return false;
    let end = topic.indexOf(SLASH, start);
    if (end === -1) end = length;
    if (level === '+') {
      if (i === 0 && topic.charCodeAt(0) === DOLLAR) return false;
    } else if (end - start !== level.length || !topic.startsWith(level, start)) {
      return false;
    }
    start = end + 1;
  }
  return start > length;
}
