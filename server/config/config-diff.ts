// What differs between the running config and a new one, key by key: the leaves that changed, or
// the whole subtree where a key (a listener, a module override, a TLS profile) appears or goes.
import type { KeyPath } from './key-path.js';

export interface ConfigDifference {
  readonly path: KeyPath;
  /** undefined: the key is not in the running config (it is new). */
  readonly old: unknown;
  /** undefined: the key is not in the new config (it was removed). */
  readonly new: unknown;
}

/** Every difference between two validated configs (plain JSON-like trees), in document order. */
export function diffConfig(old: unknown, next: unknown): ConfigDifference[] {
  const out: ConfigDifference[] = [];
  walk(old, next, [], out);
  return out;
}

function walk(old: unknown, next: unknown, path: KeyPath, out: ConfigDifference[]): void {
  if (Object.is(old, next)) return;
  if (Array.isArray(old) && Array.isArray(next)) {
    // By position: listeners and user lists are ordered, and a position names an entry in errors too.
    for (let i = 0; i < Math.max(old.length, next.length); i++) walk(old[i], next[i], [...path, i], out);
    return;
  }
  if (isPlainObject(old) && isPlainObject(next)) {
    const keys = new Set([...Object.keys(old), ...Object.keys(next)]);
    for (const key of keys) walk(old[key], next[key], [...path, key], out);
    return;
  }
  out.push({ path, old, new: next });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
