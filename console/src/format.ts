// How numbers, times and values read on the console's pages (English, like the page).

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
const precise = new Intl.NumberFormat('en', { maximumFractionDigits: 2 });
const dateTime = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'medium' });
const timeOnly = new Intl.DateTimeFormat('en', { timeStyle: 'medium' });

/** A count: 1,234. */
export const formatCount = (n: number): string => integer.format(n);

/** A rate or a mean: at most one decimal (12.5). */
export const formatRate = (n: number): string => decimal.format(n);

/** Milliseconds of latency: at most two decimals (0.35). */
export const formatMs = (n: number): string => precise.format(n);

/** "1 connection", "2 connections". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** "alice's", "everyone's". */
export const possessive = (name: string): string => `${name}'s`;

/** A time of day when it is today, else date and time. */
export function formatTimestamp(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toDateString() === new Date().toDateString() ? timeOnly.format(date) : dateTime.format(date);
}

/** A duration in words, roughly: "45 s", "3 min", "2 h". */
export function formatAge(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

/** A value as one line of JSON, cut to `max` characters with an ellipsis. */
export function compactJson(value: unknown, max = 120): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? '';
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
