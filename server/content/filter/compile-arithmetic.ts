// `+ - * / %`, unary `-` and string concatenation `&`. Arithmetic takes finite numbers only (JSONata
// T2001/T2002 for other types, D1001 for infinities, both FAULT here); nothing on either side gives
// nothing. `&` casts both sides with $string, nothing counting as ''.
import { dynamicNode, Yields, type CompiledNode } from './compiled-node.js';
import type { ArithmeticOperator } from './filter-ast.js';
import { castString, FAULT, isFiniteNumber } from './jsonata-semantics.js';

type Arithmetic = (lhs: number, rhs: number) => number;

const ARITHMETIC: Readonly<Record<ArithmeticOperator, Arithmetic>> = Object.freeze({
  '+': (lhs, rhs) => lhs + rhs,
  '-': (lhs, rhs) => lhs - rhs,
  '*': (lhs, rhs) => lhs * rhs,
  '/': (lhs, rhs) => lhs / rhs,
  '%': (lhs, rhs) => lhs % rhs,
});

export function compileArithmetic(operator: ArithmeticOperator, lhs: CompiledNode, rhs: CompiledNode): CompiledNode {
  const apply = ARITHMETIC[operator];
  const evaluateLhs = lhs.evaluate;
  const evaluateRhs = rhs.evaluate;
  return dynamicNode((document) => {
    const lhsValue = evaluateLhs(document);
    if (lhsValue === FAULT) return FAULT;
    const rhsValue = evaluateRhs(document);
    if (rhsValue === FAULT) return FAULT;
    if (isFiniteNumber(lhsValue) && isFiniteNumber(rhsValue)) return apply(lhsValue, rhsValue);
    // A result may be infinite (1/0); JSONata only rejects infinities as operands.
    if ((lhsValue !== undefined && !isFiniteNumber(lhsValue)) || (rhsValue !== undefined && !isFiniteNumber(rhsValue)))
      return FAULT;
    return undefined;
  }, Yields.NUMBER);
}

export function compileNegation(operand: CompiledNode): CompiledNode {
  const evaluate = operand.evaluate;
  return dynamicNode((document) => {
    const value = evaluate(document);
    if (value === undefined) return undefined;
    // D1002 for a non-number, D1001 for an infinity.
    return isFiniteNumber(value) ? -value : FAULT;
  }, Yields.NUMBER);
}

export function compileConcatenation(lhs: CompiledNode, rhs: CompiledNode): CompiledNode {
  const evaluateLhs = lhs.evaluate;
  const evaluateRhs = rhs.evaluate;
  return dynamicNode((document) => {
    const lhsValue = evaluateLhs(document);
    if (lhsValue === FAULT) return FAULT;
    const rhsValue = evaluateRhs(document);
    if (rhsValue === FAULT) return FAULT;
    const lhsText = lhsValue === undefined ? '' : castString(lhsValue);
    if (lhsText === FAULT) return FAULT;
    const rhsText = rhsValue === undefined ? '' : castString(rhsValue);
    if (rhsText === FAULT) return FAULT;
    return `${lhsText ?? ''}${rhsText ?? ''}`;
  }, Yields.STRING);
}
