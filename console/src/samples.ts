// The window of samples the charts draw: the last 15 minutes, oldest first.
import type { Sample } from './types.js';

export const WINDOW_MS = 15 * 60 * 1000;

/** `samples` without those older than WINDOW_MS before the newest (and sorted by time). */
export function trimWindow(samples: readonly Sample[]): Sample[] {
  if (samples.length === 0) return [];
  const sorted = samples.every((s, i) => i === 0 || samples[i - 1].t <= s.t)
    ? [...samples]
    : [...samples].sort((a, b) => a.t - b.t);
  const oldest = sorted[sorted.length - 1].t - WINDOW_MS;
  const first = sorted.findIndex((s) => s.t >= oldest);
  return sorted.slice(first);
}

/** The window with `sample` added (a repeat of the newest time replaces it). */
export function addSample(samples: readonly Sample[], sample: Sample): Sample[] {
  const last = samples[samples.length - 1];
  const kept = last !== undefined && last.t === sample.t ? samples.slice(0, -1) : samples;
  return trimWindow([...kept, sample]);
}
