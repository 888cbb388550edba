// What compiling one AST node produces: the closure that evaluates it (created once, called per
// message), which kinds of value it can yield, and its value when it does not depend on the message.
import { FAULT } from './jsonata-semantics.js';

/** Evaluates a node against a message: a JSONata value, undefined (nothing), or FAULT. */
export type Evaluate = (document: unknown) => unknown;

/** Bit flags for the kinds of value a node can yield; undefined and FAULT are never tracked. */
export const Yields = Object.freeze({
  BOOLEAN: 1,
  NUMBER: 2,
  STRING: 4,
  NULL: 8,
  ARRAY: 16,
  OBJECT: 32,
  ANY: 63,
});

export interface CompiledNode {
  readonly evaluate: Evaluate;
  /** A union of Yields flags. */
  readonly yields: number;
  readonly isConstant: boolean;
  /** The node's value when isConstant (possibly undefined or FAULT); otherwise undefined. */
  readonly constant: unknown;
}

export function dynamicNode(evaluate: Evaluate, yields: number): CompiledNode {
  return Object.freeze({ evaluate, yields, isConstant: false, constant: undefined });
}

export function constantNode(value: unknown): CompiledNode {
  const evaluate: Evaluate = () => value;
  return Object.freeze({ evaluate, yields: yieldsOf(value), isConstant: true, constant: value });
}

function yieldsOf(value: unknown): number {
  if (value === undefined || value === FAULT) return 0;
  if (typeof value === 'boolean') return Yields.BOOLEAN;
  if (typeof value === 'number') return Yields.NUMBER;
  if (typeof value === 'string') return Yields.STRING;
  if (value === null) return Yields.NULL;
  return Array.isArray(value) ? Yields.ARRAY : Yields.OBJECT;
}

/** Names the kinds in a Yields union, for error messages: e.g. `a number or a string`. */
export function describeYields(yields: number): string {
  const names: string[] = [];
  if (yields & Yields.BOOLEAN) names.push('a boolean');
  if (yields & Yields.NUMBER) names.push('a number');
  if (yields & Yields.STRING) names.push('a string');
  if (yields & Yields.NULL) names.push('null');
  if (yields & Yields.ARRAY) names.push('an array');
  if (yields & Yields.OBJECT) names.push('an object');
  return names.length === 0 ? 'nothing' : names.join(' or ');
}
