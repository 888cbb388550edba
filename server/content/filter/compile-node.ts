// Compiles one narrowed AST node into a CompiledNode, children first. A node whose inputs are all
// constant is evaluated here, once, and becomes a constant itself (e.g. `[1, 2]`, `-(1)`, `60 * 60`).
import { compileArithmetic, compileConcatenation, compileNegation } from './compile-arithmetic.js';
import { compileArray } from './compile-array.js';
import { compileEquality, compileMembership, compileOrdering } from './compile-comparison.js';
import { compileCall, compileContains, type ContainsToken } from './compile-functions.js';
import { compileCondition, compileLogical } from './compile-logic.js';
import { compilePath } from './compile-path.js';
import { constantNode, dynamicNode, Yields, type CompiledNode } from './compiled-node.js';
import type { BinaryNode, ContainsNode, FilterNode } from './filter-ast.js';
import { compileFilterRegex } from './filter-regex.js';

export function compileNode(node: FilterNode): CompiledNode {
  switch (node.kind) {
    case 'literal':
      return constantNode(node.value);
    case 'path':
      return dynamicNode(compilePath(node.steps), Yields.ANY);
    case 'block':
      return compileNode(node.expression);
    case 'array':
      return compileArray(node, node.items.map(compileNode));
    case 'negate': {
      const operand = compileNode(node.operand);
      return folded(compileNegation(operand), [operand]);
    }
    case 'binary':
      return compileBinary(node);
    case 'call': {
      const arg = compileNode(node.arg);
      return folded(compileCall(node.name, arg), [arg]);
    }
    case 'contains':
      return compileContainsCall(node);
    case 'condition': {
      const condition = compileNode(node.condition);
      const then = compileNode(node.then);
      const otherwise = node.otherwise === undefined ? undefined : compileNode(node.otherwise);
      const parts = otherwise === undefined ? [condition, then] : [condition, then, otherwise];
      return folded(compileCondition(condition, then, otherwise), parts);
    }
  }
}

function compileBinary(node: BinaryNode): CompiledNode {
  const lhs = compileNode(node.lhs);
  const rhs = compileNode(node.rhs);
  return folded(compileOperator(node, lhs, rhs), [lhs, rhs]);
}

function compileOperator(node: BinaryNode, lhs: CompiledNode, rhs: CompiledNode): CompiledNode {
  const operator = node.operator;
  switch (operator) {
    case '=':
    case '!=':
      return compileEquality(operator, lhs, rhs);
    case '<':
    case '<=':
    case '>':
    case '>=':
      return compileOrdering(operator, lhs, rhs);
    case 'in':
      return compileMembership(lhs, rhs);
    case 'and':
    case 'or':
      return compileLogical(operator, lhs, rhs);
    case '&':
      return compileConcatenation(lhs, rhs);
    case '+':
    case '-':
    case '*':
    case '/':
    case '%':
      return compileArithmetic(operator, lhs, rhs);
  }
}

function compileContainsCall(node: ContainsNode): CompiledNode {
  const text = compileNode(node.text);
  if (node.token.kind === 'regex') {
    const token: ContainsToken = { kind: 'regex', regex: compileFilterRegex(node.token) };
    return folded(compileContains(text, token), [text]);
  }
  const substring = compileNode(node.token);
  return folded(compileContains(text, { kind: 'value', node: substring }), [text, substring]);
}

/** Replaces `compiled` by its value when none of its inputs depends on the message. */
function folded(compiled: CompiledNode, inputs: readonly CompiledNode[]): CompiledNode {
  for (const input of inputs) {
    if (!input.isConstant) return compiled;
  }
  return constantNode(compiled.evaluate(undefined));
}
