/** Freezes `value` and everything reachable from it, so resolved configuration cannot drift at runtime. */
export function deepFreeze<T>(value: T): T {
  freezeReachable(value, new WeakSet());
  return value;
}

function freezeReachable(value: unknown, seen: WeakSet<object>): void {
  // Typed arrays cannot be frozen (Object.freeze throws on views with elements); config holds none today.
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return;
  // `seen` rather than Object.isFrozen: an already-frozen object may still hold unfrozen children.
  if (seen.has(value)) return;
  seen.add(value);
  Object.freeze(value);
  for (const key of Reflect.ownKeys(value)) {
    freezeReachable((value as Record<PropertyKey, unknown>)[key], seen);
  }
}
