// JSONata's value semantics for the filter subset, ported from jsonata 2.x (functions.js, utils.js,
// jsonata.js) so compiled filters agree with evaluate(). Where JSONata throws, these return FAULT
// instead: throwing per message would allocate, and a fault only ever means "not delivered".

/** Stands for "JSONata would throw here". Propagates upward like an exception, without the cost. */
export const FAULT: unique symbol = Symbol('filter fault');
export type Fault = typeof FAULT;

/** JSONata's isNumeric minus its throw: a number that is neither NaN nor infinite. */
export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * `$boolean`: false for '', 0, NaN, null, false, [], {} and functions; an array is true when any item
 * is. undefined stays undefined; ±Infinity is JSONata's D1001 error. FAULT stays FAULT.
 */
export function castBoolean(value: unknown): boolean | undefined | Fault {
  if (value === true) return true;
  if (value === false || value === null) return false;
  if (value === undefined || value === FAULT) return value;
  if (typeof value === 'string') return value.length > 0;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return false;
    return Number.isFinite(value) ? value !== 0 : FAULT;
  }
  if (Array.isArray(value)) return castArrayBoolean(value);
  if (typeof value === 'object') return hasOwnEnumerableKey(value);
  return false;
}

function castArrayBoolean(items: readonly unknown[]): boolean | undefined | Fault {
  if (items.length === 1) return castBoolean(items[0]);
  // JSONata casts every item (Array.filter), so a faulting item faults even after a true one.
  let anyTrue = false;
  for (let i = 0; i < items.length; i++) {
    const item = castBoolean(items[i]);
    if (item === FAULT) return FAULT;
    if (item === true) anyTrue = true;
  }
  return anyTrue;
}

/** The operands of `and`/`or` and `?:`'s condition: $boolean, with undefined counting as false. */
export function castOperand(value: unknown): boolean | Fault {
  if (value === true || value === false) return value;
  const cast = castBoolean(value);
  return cast === undefined ? false : cast;
}

function hasOwnEnumerableKey(value: object): boolean {
  for (const key in value) {
    if (Object.prototype.hasOwnProperty.call(value, key)) return true;
  }
  return false;
}

/**
 * utils.isDeepEqual: strict equality for primitives; arrays item by item; objects by the same own
 * keys with deep-equal values. Objects are walked with for-in (own, enumerable keys), which for
 * JSON documents is the same key set as JSONata's getOwnPropertyNames, without allocating arrays.
 */
export function isDeepEqual(lhs: unknown, rhs: unknown): boolean {
  if (lhs === rhs) return true;
  if (typeof lhs !== 'object' || typeof rhs !== 'object' || lhs === null || rhs === null) return false;
  const lhsIsArray = Array.isArray(lhs);
  if (lhsIsArray && Array.isArray(rhs)) {
    if (lhs.length !== rhs.length) return false;
    for (let i = 0; i < lhs.length; i++) {
      if (!isDeepEqual(lhs[i], rhs[i])) return false;
    }
    return true;
  }
  // JSONata compares an array with an object by keys as well: index keys plus `length`.
  if (lhsIsArray || Array.isArray(rhs)) return isDeepEqualMixed(lhs, rhs);
  let lhsKeys = 0;
  for (const key in lhs) {
    if (!Object.prototype.hasOwnProperty.call(lhs, key)) continue;
    lhsKeys++;
    if (!Object.prototype.hasOwnProperty.call(rhs, key)) return false;
    if (!isDeepEqual((lhs as Record<string, unknown>)[key], (rhs as Record<string, unknown>)[key])) return false;
  }
  let rhsKeys = 0;
  for (const key in rhs) {
    if (Object.prototype.hasOwnProperty.call(rhs, key)) rhsKeys++;
  }
  return lhsKeys === rhsKeys;
}

/** An array against a plain object: rare enough to use JSONata's own allocation-heavy algorithm. */
function isDeepEqualMixed(lhs: object, rhs: object): boolean {
  const lhsKeys = Object.getOwnPropertyNames(lhs).sort();
  const rhsKeys = Object.getOwnPropertyNames(rhs).sort();
  if (lhsKeys.length !== rhsKeys.length) return false;
  for (let i = 0; i < lhsKeys.length; i++) {
    if (lhsKeys[i] !== rhsKeys[i]) return false;
  }
  for (const key of lhsKeys) {
    if (!isDeepEqual((lhs as Record<string, unknown>)[key], (rhs as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** Thrown only inside JSON.stringify's replacer, to abandon a cast that JSONata would fail. */
const NON_FINITE_NUMBER = new Error('non-finite number inside a value cast to string');

/** Created once: JSONata's replacer rounds non-integers to 15 significant digits. */
function jsonataReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return value;
    if (!Number.isFinite(value)) throw NON_FINITE_NUMBER;
    return Number.isInteger(value) ? value : Number(value.toPrecision(15));
  }
  return value;
}

/**
 * `$string` (and each side of `&`): strings as they are, anything else as JSON with JSONata's number
 * rounding. undefined stays undefined; a non-finite number is JSONata's D3001/D1001 error. FAULT
 * stays FAULT.
 */
export function castString(value: unknown): string | undefined | Fault {
  if (typeof value === 'string') return value;
  if (value === undefined || value === FAULT) return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return FAULT;
    return String(Number.isInteger(value) ? value : Number(value.toPrecision(15)));
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === null) return 'null';
  try {
    const text: string | undefined = JSON.stringify(value, jsonataReplacer);
    return text;
  } catch {
    // A nested infinity (D1001), a BigInt or a cycle: JSONata's JSON.stringify fails the same way.
    return FAULT;
  }
}

/** `$length`: JSONata counts code points (for...of), so a surrogate pair is one character. */
export function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}
