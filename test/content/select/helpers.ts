// Test helpers for select lists: deep freezing, and a reference model that applies
// the documented semantics literally (slow and obvious), to check the compiled projection against.
import { parseSelect, type SelectStep } from '../../../server/content/select/index.js';

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

const ABSENT = Symbol('absent');

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isPrefix(prefix: readonly string[], path: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((name, i) => path[i] === name);
}

/**
 * docs/select-lists.md, literally: a field's own decision is the sign of the last step naming it
 * or an ancestor (none: kept). A kept value is delivered, objects with their fields decided the
 * same way; a dropped object is delivered only when a field inside survives, with just those.
 * Paths address plain-object fields only.
 */
export function referenceProject(
  steps: readonly SelectStep[],
  document: Record<string, unknown>,
): Record<string, unknown> {
  const result = referenceValue(steps, document, []);
  return result === ABSENT ? {} : (result as Record<string, unknown>);
}

function referenceValue(steps: readonly SelectStep[], value: unknown, path: readonly string[]): unknown {
  let kept = true;
  for (const step of steps) if (isPrefix(step.path, path)) kept = step.include;
  if (!isPlainObject(value)) return kept ? value : ABSENT;
  const out: Record<string, unknown> = {};
  let any = false;
  for (const name of Object.keys(value)) {
    const child = referenceValue(steps, value[name], [...path, name]);
    if (child === ABSENT) continue;
    Object.defineProperty(out, name, { value: child, enumerable: true, writable: true, configurable: true });
    any = true;
  }
  return kept || any ? out : ABSENT;
}

/** The reference model applied to a select list's text. */
export function referenceSelect(list: string, document: Record<string, unknown>): Record<string, unknown> {
  return referenceProject(parseSelect(list), document);
}
