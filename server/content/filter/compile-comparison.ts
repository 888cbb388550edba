// `= != < <= > >= in`, with JSONata's rules: nothing (a missing field) on either side makes `=`, `!=`
// and `in` false and an ordering undefined; orderings only compare two numbers or two strings and
// are an error (FAULT) for anything else; types never coerce.
import { dynamicNode, Yields, type CompiledNode, type Evaluate } from './compiled-node.js';
import type { ComparisonOperator, EqualityOperator } from './filter-ast.js';
import { FAULT, isDeepEqual } from './jsonata-semantics.js';
import { SET_MEMBERSHIP_THRESHOLD } from './filter-limits.js';

export function compileEquality(operator: EqualityOperator, lhs: CompiledNode, rhs: CompiledNode): CompiledNode {
  const negate = operator === '!=';
  const evaluateLhs = lhs.evaluate;
  const evaluateRhs = rhs.evaluate;
  // Deep equality with a string/number/boolean/null is strict equality, and symmetric.
  const constantSide =
    rhs.isConstant && isPrimitiveOperand(rhs.constant)
      ? rhs
      : lhs.isConstant && isPrimitiveOperand(lhs.constant)
        ? lhs
        : undefined;
  if (constantSide !== undefined) {
    const constant = constantSide.constant;
    const other = constantSide === rhs ? evaluateLhs : evaluateRhs;
    return dynamicNode((document) => {
      const value = other(document);
      if (value === undefined) return false;
      if (value === FAULT) return FAULT;
      return (value === constant) !== negate;
    }, Yields.BOOLEAN);
  }
  return dynamicNode((document) => {
    const lhsValue = evaluateLhs(document);
    if (lhsValue === FAULT) return FAULT;
    const rhsValue = evaluateRhs(document);
    if (rhsValue === FAULT) return FAULT;
    if (lhsValue === undefined || rhsValue === undefined) return false;
    return isDeepEqual(lhsValue, rhsValue) !== negate;
  }, Yields.BOOLEAN);
}

export function compileOrdering(operator: ComparisonOperator, lhs: CompiledNode, rhs: CompiledNode): CompiledNode {
  const compare = ORDERINGS[operator];
  const evaluateLhs = lhs.evaluate;
  if (rhs.isConstant && (typeof rhs.constant === 'number' || typeof rhs.constant === 'string')) {
    // The usual `field > literal`: one typeof decides everything.
    const constant = rhs.constant;
    const constantType = typeof constant;
    return dynamicNode((document) => {
      const lhsValue = evaluateLhs(document);
      const type = typeof lhsValue;
      if (type === constantType) return compare(lhsValue as number, constant as number);
      // Otherwise: nothing stays nothing; anything else (FAULT, T2009 mixed types, T2010) faults.
      return lhsValue === undefined ? undefined : FAULT;
    }, Yields.BOOLEAN);
  }
  const evaluateRhs = rhs.evaluate;
  return dynamicNode((document) => {
    const lhsValue = evaluateLhs(document);
    if (lhsValue === FAULT) return FAULT;
    const rhsValue = evaluateRhs(document);
    if (rhsValue === FAULT) return FAULT;
    return order(lhsValue, rhsValue, compare);
  }, Yields.BOOLEAN);
}

type Compare = (lhs: number | string, rhs: number | string) => boolean;

const ORDERINGS: Readonly<Record<ComparisonOperator, Compare>> = Object.freeze({
  '<': (lhs, rhs) => lhs < rhs,
  '<=': (lhs, rhs) => lhs <= rhs,
  '>': (lhs, rhs) => lhs > rhs,
  '>=': (lhs, rhs) => lhs >= rhs,
});

/** evaluateComparisonExpression: T2010 for non-comparable types, T2009 for mixed ones. */
function order(lhs: unknown, rhs: unknown, compare: Compare): boolean | undefined | typeof FAULT {
  const lhsType = typeof lhs;
  const rhsType = typeof rhs;
  const lhsComparable = lhsType === 'undefined' || lhsType === 'string' || lhsType === 'number';
  const rhsComparable = rhsType === 'undefined' || rhsType === 'string' || rhsType === 'number';
  if (!lhsComparable || !rhsComparable) return FAULT;
  if (lhs === undefined || rhs === undefined) return undefined;
  if (lhsType !== rhsType) return FAULT;
  return compare(lhs as number | string, rhs as number | string);
}

/** `in`: strict (not deep) equality with the right side, or with any item when it is an array. */
export function compileMembership(lhs: CompiledNode, rhs: CompiledNode): CompiledNode {
  const evaluateLhs = lhs.evaluate;
  if (rhs.isConstant && Array.isArray(rhs.constant)) return compileConstantMembership(evaluateLhs, rhs.constant);
  const evaluateRhs = rhs.evaluate;
  return dynamicNode((document) => {
    const lhsValue = evaluateLhs(document);
    if (lhsValue === FAULT) return FAULT;
    const rhsValue = evaluateRhs(document);
    if (rhsValue === FAULT) return FAULT;
    if (lhsValue === undefined || rhsValue === undefined) return false;
    if (!Array.isArray(rhsValue)) return rhsValue === lhsValue;
    for (let i = 0; i < rhsValue.length; i++) {
      if (rhsValue[i] === lhsValue) return true;
    }
    return false;
  }, Yields.BOOLEAN);
}

function compileConstantMembership(evaluateLhs: Evaluate, items: readonly unknown[]): CompiledNode {
  if (items.length >= SET_MEMBERSHIP_THRESHOLD) {
    // Set.has is SameValueZero, which differs from === only for NaN; === never finds NaN, so drop it.
    const members = new Set(items.filter((item) => !Number.isNaN(item)));
    return dynamicNode((document) => {
      const lhsValue = evaluateLhs(document);
      if (lhsValue === FAULT) return FAULT;
      return lhsValue !== undefined && members.has(lhsValue);
    }, Yields.BOOLEAN);
  }
  return dynamicNode((document) => {
    const lhsValue = evaluateLhs(document);
    if (lhsValue === FAULT) return FAULT;
    if (lhsValue === undefined) return false;
    for (let i = 0; i < items.length; i++) {
      if (items[i] === lhsValue) return true;
    }
    return false;
  }, Yields.BOOLEAN);
}

function isPrimitiveOperand(value: unknown): boolean {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
