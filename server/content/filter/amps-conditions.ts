// What an AMPS-syntax condition becomes in the filter AST. AMPS evaluates conditions with SQL-92's
// three truth values (AMPS User Guide, "AMPS Data Types": NULL is "Unknown, untyped value (SQL-92
// semantics)"): a comparison with a missing field is unknown, NOT unknown is unknown, and a message
// matches only when the filter is TRUE. The compiled closures keep JSONata's rules instead, where
// `$not(x = 1)` is true when x is missing. So NOT is never compiled as such: it is pushed down to
// the predicates with De Morgan's laws (which hold in three-valued logic), and each predicate is
// built directly in its positive or negative form, chosen so that a missing operand never makes it
// true. `NOT /x = 1` becomes `x != 1`, false without x, as the AMPS filter is never TRUE without x.
import type { ArithmeticOperator, BinaryNode, BinaryOperator, FilterNode, RegexNode } from './filter-ast.js';

export type ComparisonText = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** A parsed AMPS expression, before NOT is resolved. */
export type Condition =
  /** A value: a field, a literal, arithmetic; as a condition, JSONata's rules decide (exactly `true`). */
  | { readonly kind: 'value'; readonly node: FilterNode }
  | { readonly kind: 'and' | 'or'; readonly position: number; readonly lhs: Condition; readonly rhs: Condition }
  | { readonly kind: 'not'; readonly position: number; readonly operand: Condition }
  /** `( condition )`: a block, one level deep, as the JSONata syntax's parentheses are. */
  | { readonly kind: 'group'; readonly position: number; readonly condition: Condition }
  /** A comparison, IN, BETWEEN, LIKE, BEGINS/ENDS WITH or IS NULL: builds its own negation. */
  | { readonly kind: 'predicate'; readonly build: (negated: boolean) => FilterNode };

/** The filter AST of `condition`, or of its negation. */
export function lower(condition: Condition, negated: boolean): FilterNode {
  switch (condition.kind) {
    case 'value':
      return negated ? negateValue(condition.node) : condition.node;
    case 'and':
    case 'or': {
      // De Morgan: NOT (a AND b) is NOT a OR NOT b.
      const operator = (condition.kind === 'and') !== negated ? 'and' : 'or';
      return binary(operator, lower(condition.lhs, negated), lower(condition.rhs, negated), condition.position);
    }
    case 'not':
      return lower(condition.operand, !negated);
    case 'group':
      return { kind: 'block', position: condition.position, expression: lower(condition.condition, negated) };
    case 'predicate':
      return condition.build(negated);
  }
}

/** A condition used as a value (an operand of a comparison or of arithmetic). */
export function valueOf(condition: Condition): FilterNode {
  return condition.kind === 'value' ? condition.node : lower(condition, false);
}

/** NOT of a bare value: `$not(x)`, which has no result when x is missing. */
function negateValue(node: FilterNode): FilterNode {
  if (node.kind === 'literal' && typeof node.value === 'boolean') return { ...node, value: !node.value };
  return call('not', node);
}

/** `a = b`, `a != b` (and `<>`), `a < b`, ... */
export function comparison(operator: ComparisonText, lhs: FilterNode, rhs: FilterNode, position: number): Condition {
  return {
    kind: 'predicate',
    build: (negated) => {
      if (!negated) return binary(operator, lhs, rhs, position);
      // `=` and `!=` are both false when a side is missing: each is the other's safe negation.
      if (operator === '=') return binary('!=', lhs, rhs, position);
      if (operator === '!=') return binary('=', lhs, rhs, position);
      // An ordering with a missing side has no result, and neither has its $not.
      return call('not', binary(operator, lhs, rhs, position));
    },
  };
}

/**
 * `x IN (a, b)`: `x in [a, b]` when the items are literals (strict equality with each), else
 * `x = a or x = b` (AMPS: "an equivalent set of = comparisons joined by OR"). NOT IN needs x to be
 * there: `$exists(x) and $not(x in [...])`, or `x != a and x != b`.
 */
export function membership(
  value: FilterNode,
  items: readonly FilterNode[],
  notIn: boolean,
  position: number,
): Condition {
  const literal = items.every((item) => item.kind === 'literal');
  return {
    kind: 'predicate',
    build: (negated) => {
      const outside = negated !== notIn;
      if (!literal) {
        const equalities = items.map((item) => binary(outside ? '!=' : '=', value, item, position));
        return chain(outside ? 'and' : 'or', equalities);
      }
      const list: FilterNode = { kind: 'array', position, items };
      const inList = binary('in', value, list, position);
      return outside ? binary('and', call('exists', value), call('not', inList), position) : inList;
    },
  };
}

/** `x BETWEEN a AND b` is `x >= a and x <= b` (AMPS: inclusive of both); NOT is `x < a or x > b`. */
export function between(
  value: FilterNode,
  low: FilterNode,
  high: FilterNode,
  notBetween: boolean,
  position: number,
): Condition {
  return {
    kind: 'predicate',
    build: (negated) =>
      negated !== notBetween
        ? binary('or', binary('<', value, low, position), binary('>', value, high, position), position)
        : binary('and', binary('>=', value, low, position), binary('<=', value, high, position), position),
  };
}

/**
 * `x LIKE 'pattern'` and BEGINS WITH / ENDS WITH (one regex per string, OR-ed): `$contains(x, /../)`,
 * which has no result when x is missing, so its `$not` has none either.
 */
export function matching(value: FilterNode, regexes: readonly RegexNode[], notMatching: boolean): Condition {
  return {
    kind: 'predicate',
    build: (negated) => {
      const outside = negated !== notMatching;
      const tests = regexes.map((regex): FilterNode => {
        const contains: FilterNode = { kind: 'contains', position: regex.position, text: value, token: regex };
        return outside ? call('not', contains) : contains;
      });
      return chain(outside ? 'and' : 'or', tests);
    },
  };
}

/**
 * `x IS NULL`: AMPS's NULL is a missing field or a null ("AMPS Data Types"), so
 * `$not($exists(x)) or x = null`; IS NOT NULL is `$exists(x) and x != null`.
 */
export function nullTest(value: FilterNode, isNotNull: boolean, position: number): Condition {
  const nullLiteral: FilterNode = { kind: 'literal', position, value: null };
  return {
    kind: 'predicate',
    build: (negated) =>
      negated !== isNotNull
        ? binary('and', call('exists', value), binary('!=', value, nullLiteral, position), position)
        : binary('or', call('not', call('exists', value)), binary('=', value, nullLiteral, position), position),
  };
}

export function arithmetic(
  operator: ArithmeticOperator,
  lhs: FilterNode,
  rhs: FilterNode,
  position: number,
): Condition {
  return { kind: 'value', node: binary(operator, lhs, rhs, position) };
}

function binary(operator: BinaryOperator, lhs: FilterNode, rhs: FilterNode, position: number | undefined): BinaryNode {
  return { kind: 'binary', position, operator, lhs, rhs };
}

function call(name: 'not' | 'exists', arg: FilterNode): FilterNode {
  return { kind: 'call', position: arg.position, name, arg };
}

/** `a op b op c ...`, left-nested as the parsers nest a chain of the same operator. */
function chain(operator: 'and' | 'or', nodes: readonly FilterNode[]): FilterNode {
  let result = nodes[0]!;
  for (let i = 1; i < nodes.length; i++) result = binary(operator, result, nodes[i]!, nodes[i]!.position);
  return result;
}
