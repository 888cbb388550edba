// Applies a compiled selection to a document. Kept values are shared with the input by reference;
// new objects are made only along paths where something is dropped, so outputs must be treated as
// immutable (as the input is never written).
import { DROP_ALL, KEEP_ALL, type FieldSelection, type Selection } from './selection.js';

/** Marks "nothing here" (a field's value may itself be `undefined`). */
const ABSENT: unique symbol = Symbol('absent');

export function projectDocument(root: Selection, document: Record<string, unknown>): Record<string, unknown> {
  // Fail closed on a non-object: nothing of it is shown.
  if (!isPlainObject(document)) return {};
  if (root === KEEP_ALL) return document;
  if (root === DROP_ALL) return {};
  const projected = projectFields(document, root);
  // The document itself is always delivered, `{}` when nothing survives.
  return projected === ABSENT ? {} : (projected as Record<string, unknown>);
}

function projectValue(value: unknown, selection: Selection): unknown {
  if (selection === KEEP_ALL) return value;
  if (selection === DROP_ALL) return ABSENT;
  return projectFields(value, selection);
}

function projectFields(value: unknown, node: FieldSelection): unknown {
  // Paths address plain-object fields only: arrays, primitives and other objects are leaves,
  // kept or dropped whole by the node's own decision.
  if (!isPlainObject(value)) return node.keepRest ? value : ABSENT;
  return node.keepRest ? projectKeptObject(value, node) : projectDroppedObject(value, node);
}

/** The object is kept: every own field, minus what its children drop, even if that leaves `{}`. */
function projectKeptObject(value: Record<string, unknown>, node: FieldSelection): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name in value) {
    if (!Object.hasOwn(value, name)) continue;
    const child = node.byName.get(name);
    const projected = child === undefined ? value[name] : projectValue(value[name], child);
    if (projected !== ABSENT) setField(out, name, projected);
  }
  return out;
}

/** The object is dropped: only the named fields that survive, and the object only if one does. */
function projectDroppedObject(value: Record<string, unknown>, node: FieldSelection): unknown {
  let out: Record<string, unknown> | null = null;
  const { names, children } = node;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (!Object.hasOwn(value, name)) continue;
    const projected = projectValue(value[name], children[i]!);
    if (projected === ABSENT) continue;
    out ??= {};
    setField(out, name, projected);
  }
  return out ?? ABSENT;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Plain assignment of `__proto__` would set the prototype instead of creating the field. */
function setField(target: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__')
    Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  else target[name] = value;
}
