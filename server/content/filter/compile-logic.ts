// `and`, `or` and `cond ? a : b`. Operands are cast with $boolean (nothing is false), the right side
// of `and`/`or` and the untaken branch are not evaluated, exactly as in JSONata, so an error there
// (FAULT) does not count when it is short-circuited away.
import { dynamicNode, Yields, type CompiledNode } from './compiled-node.js';
import type { LogicalOperator } from './filter-ast.js';
import { castBoolean, castOperand, FAULT } from './jsonata-semantics.js';

export function compileLogical(operator: LogicalOperator, lhs: CompiledNode, rhs: CompiledNode): CompiledNode {
  const evaluateLhs = lhs.evaluate;
  const evaluateRhs = rhs.evaluate;
  const shortCircuitOn = operator === 'or';
  return dynamicNode((document) => {
    const lhsTruth = castOperand(evaluateLhs(document));
    if (lhsTruth === FAULT || lhsTruth === shortCircuitOn) return lhsTruth;
    return castOperand(evaluateRhs(document));
  }, Yields.BOOLEAN);
}

export function compileCondition(
  condition: CompiledNode,
  then: CompiledNode,
  otherwise: CompiledNode | undefined,
): CompiledNode {
  const test = condition.evaluate;
  const whenTrue = then.evaluate;
  const whenFalse = otherwise?.evaluate;
  const yields = then.yields | (otherwise?.yields ?? 0);
  return dynamicNode((document) => {
    const truth = castBoolean(test(document));
    if (truth === FAULT) return FAULT;
    if (truth === true) return whenTrue(document);
    return whenFalse === undefined ? undefined : whenFalse(document);
  }, yields);
}
