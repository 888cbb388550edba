// How `warden store` words what it found: counts of records, and a bounded list of problems.
import type { StoreCounts } from '../store/store.js';

/** At most this many problems are listed; the rest are counted. */
export const MAX_LISTED_PROBLEMS = 20;

export function total(c: StoreCounts): number {
  return c.retained + c.sessions + c.messages + c.wills;
}

/** `3 retained messages, 1 session, 0 queued messages and 0 delayed wills`. */
export function describeCounts(c: StoreCounts): string {
  const n = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`;
  return `${n(c.retained, 'retained message', 'retained messages')}, ${n(c.sessions, 'session', 'sessions')}, ${n(c.subscriptions, 'subscription', 'subscriptions')}, ${n(c.messages, 'queued message', 'queued messages')} and ${n(c.wills, 'delayed will', 'delayed wills')}`;
}

/** The problems as indented lines, at most MAX_LISTED_PROBLEMS of them, then how many more. */
export function listed(problems: readonly string[], count = problems.length): string {
  const shown = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => `  ${p}\n`);
  const more = count - shown.length;
  return `${shown.join('')}${more > 0 ? `  ... and ${more} more\n` : ''}`;
}
