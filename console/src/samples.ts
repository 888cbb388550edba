// The window of samples the charts draw: the last historyMs (admin.console.historyMs), oldest first.
import type { Sample } from './types.js';

/** Until the stream's history event says otherwise: the server's default. */
export const DEFAULT_WINDOW_MS = 15 * 60 * 1000;

/** `samples` without those older than `windowMs` before the newest (and sorted by time). */
export function trimWindow(samples: readonly Sample[], windowMs: number): Sample[] {
  if (samples.length === 0) return [];
  const sorted = samples.every((s, i) => i === 0 || samples[i - 1].t <= s.t)
    ? [...samples]
    : [...samples].sort((a, b) => a.t - b.t);
  const oldest = sorted[sorted.length - 1].t - windowMs;
  const first = sorted.findIndex((s) => s.t >= oldest);
  return sorted.slice(first);
}

/** The window with `sample` added (a repeat of the newest time replaces it). */
export function addSample(samples: readonly Sample[], sample: Sample, windowMs: number): Sample[] {
  const last = samples[samples.length - 1];
  const kept = last !== undefined && last.t === sample.t ? samples.slice(0, -1) : samples;
  return trimWindow([...kept, sample], windowMs);
}
