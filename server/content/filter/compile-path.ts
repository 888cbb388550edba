// Field paths (`desk.region`, `items[0].qty`, `` `odd name`.x ``) with JSONata's navigation rules.
// Objects are walked directly and allocate nothing. Once a path meets an array before its last step,
// JSONata maps the rest of the path over the array's items and flattens the results into a sequence;
// that case runs a faithful port of evaluatePath/evaluateStep/lookup, which allocates the sequence
// it returns (as JSONata does) and is only reached by documents with arrays along the path.
import type { Evaluate } from './compiled-node.js';
import type { PathStep } from './filter-ast.js';

/** JSONata's `sequence`: a result array built by path mapping, as opposed to an array in the message. */
class Sequence extends Array<unknown> {}

const hasOwn = (value: object, key: string): boolean => Object.prototype.hasOwnProperty.call(value, key);

/** JSONata reads own properties only: `constructor` or `toString` is never a field of a message. */
function ownField(value: object, name: string): unknown {
  return hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined;
}

export function compilePath(steps: readonly PathStep[]): Evaluate {
  const names = steps.map((step) => step.name);
  const indexes = steps.map((step) => step.indexes);
  const count = steps.length;
  const plain = indexes.every((stepIndexes) => stepIndexes.length === 0);
  if (plain && count === 1) return compileOneField(steps, names[0]!);
  if (plain && count === 2) return compileTwoFields(steps, names[0]!, names[1]!);

  return (document) => {
    let value: unknown = document;
    for (let i = 0; i < count; i++) {
      if (typeof value !== 'object' || value === null) return undefined;
      if (Array.isArray(value)) return evaluateOverSequences(steps, document);
      value = ownField(value, names[i]!);
      const stepIndexes = indexes[i]!;
      for (let k = 0; k < stepIndexes.length && value !== undefined; k++) value = indexInto(value, stepIndexes[k]!);
      if (value === undefined) return undefined;
    }
    return value;
  };
}

/** The most common paths, `field` and `field.field`, without the loop. */
function compileOneField(steps: readonly PathStep[], name: string): Evaluate {
  return (document) => {
    if (typeof document !== 'object' || document === null) return undefined;
    if (Array.isArray(document)) return evaluateOverSequences(steps, document);
    return ownField(document, name);
  };
}

function compileTwoFields(steps: readonly PathStep[], outer: string, inner: string): Evaluate {
  return (document) => {
    if (typeof document !== 'object' || document === null) return undefined;
    if (Array.isArray(document)) return evaluateOverSequences(steps, document);
    const value = ownField(document, outer);
    if (typeof value !== 'object' || value === null) return undefined;
    if (Array.isArray(value)) return evaluateOverSequences(steps, document);
    return ownField(value, inner);
  };
}

/**
 * `[n]` on one value that did not come from mapping: a non-array is a sequence of one item, so
 * only [0] and [-1] keep it; an array is indexed, negative indexes counting from the end.
 */
function indexInto(value: unknown, index: number): unknown {
  if (Array.isArray(value)) return value[index < 0 ? value.length + index : index];
  return index === 0 || index === -1 ? value : undefined;
}

/** jsonata's evaluatePath for name steps with index stages, starting from the document. */
function evaluateOverSequences(steps: readonly PathStep[], document: unknown): unknown {
  // evaluate() wraps an array document in a sequence of one item; anything else is a sequence of itself.
  let input: readonly unknown[] = [document];
  for (let i = 0; i < steps.length; i++) {
    const output = evaluateStep(steps[i]!, input, i === steps.length - 1);
    // Only the last step can return an array from the message itself; JSONata keeps it whole.
    if (!(output instanceof Sequence)) return output;
    if (output.length === 0) return undefined;
    input = output;
  }
  return collapse(input);
}

function evaluateStep(step: PathStep, input: readonly unknown[], lastStep: boolean): unknown[] {
  const results: unknown[] = [];
  for (let i = 0; i < input.length; i++) {
    let result = collapse(lookup(input[i], step.name));
    for (let k = 0; k < step.indexes.length; k++) result = indexStage(result, step.indexes[k]!);
    if (result !== undefined) results.push(result);
  }
  const only = results[0];
  if (lastStep && results.length === 1 && Array.isArray(only) && !(only instanceof Sequence)) return only;
  const flattened = new Sequence();
  for (const result of results) {
    if (Array.isArray(result)) {
      for (const item of result) flattened.push(item);
    } else {
      flattened.push(result);
    }
  }
  return flattened;
}

/** jsonata's evaluateFilter for a number literal predicate. */
function indexStage(value: unknown, index: number): unknown {
  const input: readonly unknown[] = Array.isArray(value) ? value : [value];
  const item = input[index < 0 ? input.length + index : index];
  if (item === undefined) return new Sequence();
  if (Array.isArray(item)) return item;
  const single = new Sequence();
  single.push(item);
  return single;
}

/** functions.lookup: own properties only; over an array, every item's value, flattened one level. */
function lookup(input: unknown, key: string): unknown {
  if (Array.isArray(input)) {
    const result = new Sequence();
    for (const item of input) {
      const value = lookup(item, key);
      if (value === undefined) continue;
      if (Array.isArray(value)) {
        for (const element of value) result.push(element);
      } else {
        result.push(value);
      }
    }
    return result;
  }
  return typeof input === 'object' && input !== null ? ownField(input, key) : undefined;
}

/** What evaluate() does to every result: an empty sequence is nothing, a singleton is its item. */
function collapse(value: unknown): unknown {
  if (!(value instanceof Sequence)) return value;
  if (value.length === 0) return undefined;
  return value.length === 1 ? value[0] : value;
}
