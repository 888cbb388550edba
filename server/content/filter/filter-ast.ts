// Narrow types for the JSONata AST node shapes a filter may use, and the one function that turns
// jsonata's own (loosely typed) AST into them. Every shape not listed here is rejected by name, so
// the compiler never meets a construct whose semantics it does not reproduce.
import { FilterError, unsupportedConstruct } from './filter-error.js';
import { MAX_FILTER_DEPTH } from './filter-limits.js';

export type ComparisonOperator = '<' | '<=' | '>' | '>=';
export type EqualityOperator = '=' | '!=';
export type ArithmeticOperator = '+' | '-' | '*' | '/' | '%';
export type LogicalOperator = 'and' | 'or';
export type BinaryOperator = ComparisonOperator | EqualityOperator | ArithmeticOperator | LogicalOperator | 'in' | '&';

export type FilterFunctionName =
  'exists' | 'contains' | 'length' | 'lowercase' | 'uppercase' | 'not' | 'boolean' | 'string';
/** Every supported function but $contains takes exactly one argument. */
export type UnaryFunctionName = Exclude<FilterFunctionName, 'contains'>;

/** Each supported function with the argument count a filter must give it (no context defaulting). */
const FUNCTION_ARITY: Readonly<Record<FilterFunctionName, number>> = Object.freeze({
  exists: 1,
  contains: 2,
  length: 1,
  lowercase: 1,
  uppercase: 1,
  not: 1,
  boolean: 1,
  string: 1,
});

const BINARY_OPERATORS: ReadonlySet<string> = new Set<BinaryOperator>([
  '<',
  '<=',
  '>',
  '>=',
  '=',
  '!=',
  '+',
  '-',
  '*',
  '/',
  '%',
  'and',
  'or',
  'in',
  '&',
]);

/** One `.`-separated field step, with the numeric `[n]` indexes that follow it (already floored). */
export interface PathStep {
  readonly name: string;
  readonly indexes: readonly number[];
}

export interface PathNode {
  readonly kind: 'path';
  readonly position: number | undefined;
  readonly steps: readonly PathStep[];
}

export interface LiteralNode {
  readonly kind: 'literal';
  readonly position: number | undefined;
  readonly value: string | number | boolean | null;
}

export interface ArrayNode {
  readonly kind: 'array';
  readonly position: number | undefined;
  readonly items: readonly FilterNode[];
}

export interface NegateNode {
  readonly kind: 'negate';
  readonly position: number | undefined;
  readonly operand: FilterNode;
}

export interface BinaryNode {
  readonly kind: 'binary';
  readonly position: number | undefined;
  readonly operator: BinaryOperator;
  readonly lhs: FilterNode;
  readonly rhs: FilterNode;
}

export interface CallNode {
  readonly kind: 'call';
  readonly position: number | undefined;
  readonly name: UnaryFunctionName;
  readonly arg: FilterNode;
}

/** `$contains(text, token)`: the one place a regex literal may appear. */
export interface ContainsNode {
  readonly kind: 'contains';
  readonly position: number | undefined;
  readonly text: FilterNode;
  readonly token: FilterNode | RegexNode;
}

export interface RegexNode {
  readonly kind: 'regex';
  readonly position: number | undefined;
  readonly pattern: string;
  /** JSONata's flags without the `g` it always adds: some of `i`, `m`. */
  readonly flags: string;
}

export interface ConditionNode {
  readonly kind: 'condition';
  readonly position: number | undefined;
  readonly condition: FilterNode;
  readonly then: FilterNode;
  readonly otherwise: FilterNode | undefined;
}

/** `( expr )`: JSONata keeps parentheses as a block of one expression. */
export interface BlockNode {
  readonly kind: 'block';
  readonly position: number | undefined;
  readonly expression: FilterNode;
}

export type FilterNode =
  PathNode | LiteralNode | ArrayNode | NegateNode | BinaryNode | CallNode | ContainsNode | ConditionNode | BlockNode;

type RawNode = Readonly<Record<string, unknown>>;

/** Keys jsonata puts on a node that carry no semantics of their own. */
const NEUTRAL_KEYS: ReadonlySet<string> = new Set(['type', 'value', 'position']);

/** Keys that each switch on a JSONata feature outside the subset, named for the error message. */
const FEATURE_KEYS: Readonly<Record<string, string>> = Object.freeze({
  predicate: 'predicate [...] on an expression',
  group: 'grouping {...}',
  keepArray: 'keep-array []',
  keepSingletonArray: 'keep-array []',
  consarray: 'array constructor in a path',
  focus: 'focus variable binding @',
  index: 'positional variable binding #',
  tuple: 'variable binding in a path',
  ancestor: 'parent operator %',
  seekingParent: 'parent operator %',
});

/** Validates jsonata's AST and narrows it to the filter subset; throws FilterError naming what is not. */
export function readFilterAst(raw: unknown): FilterNode {
  return readNode(raw, 1);
}

function readNode(raw: unknown, depth: number): FilterNode {
  const node = asRawNode(raw);
  const position = positionOf(node);
  if (depth > MAX_FILTER_DEPTH) {
    throw new FilterError(
      `filter nests deeper than ${MAX_FILTER_DEPTH} levels (position ${position ?? 0})`,
      'nesting depth',
      position,
    );
  }
  const type = node['type'];
  switch (type) {
    case 'path':
      return readPath(node);
    case 'string':
    case 'number':
    case 'value':
      return readLiteral(node, position);
    case 'binary':
      return readBinary(node, position, depth);
    case 'unary':
      return readUnary(node, position, depth);
    case 'function':
      return readCall(node, position, depth);
    case 'block':
      return readBlock(node, position, depth);
    case 'condition':
      return readCondition(node, position, depth);
    case 'regex':
      // A regex is a function value in JSONata; the filter subset only passes it to $contains.
      throw unsupportedConstruct('regex literal outside $contains(text, /pattern/)', position);
    default:
      throw unsupportedConstruct(describeUnsupported(node), position);
  }
}

function readPath(node: RawNode): PathNode {
  const rawSteps = node['steps'];
  if (!Array.isArray(rawSteps) || rawSteps.length === 0) throw unsupportedConstruct('empty path', undefined);
  // A path node has no position of its own; its first step's stands for it.
  const position = positionOf(asRawNode(rawSteps[0]));
  expectOnlyKeys(node, ['steps'], position);
  const steps: PathStep[] = [];
  for (const rawStep of rawSteps) steps.push(readStep(asRawNode(rawStep)));
  return { kind: 'path', position, steps: Object.freeze(steps) };
}

function readStep(step: RawNode): PathStep {
  const position = positionOf(step);
  if (step['type'] !== 'name') {
    throw unsupportedConstruct(`path step that is not a field name: ${describeUnsupported(step)}`, position);
  }
  expectOnlyKeys(step, ['stages']);
  const name = step['value'];
  if (typeof name !== 'string') throw unsupportedConstruct('field name that is not a string', position);
  const indexes: number[] = [];
  const stages = step['stages'];
  if (stages !== undefined) {
    if (!Array.isArray(stages)) throw unsupportedConstruct('path stages', position);
    for (const rawStage of stages) indexes.push(readIndexStage(asRawNode(rawStage)));
  }
  return Object.freeze({ name, indexes: Object.freeze(indexes) });
}

/** `[n]` with a number literal: an array index. Any other `[...]` is a predicate, outside the subset. */
function readIndexStage(stage: RawNode): number {
  const position = positionOf(stage);
  const expr = stage['expr'];
  if (
    stage['type'] !== 'filter' ||
    !isRawNode(expr) ||
    expr['type'] !== 'number' ||
    typeof expr['value'] !== 'number'
  ) {
    throw unsupportedConstruct('predicate [...] other than a number literal index', position, 'write a[0] or a[-1]');
  }
  expectOnlyKeys(stage, ['expr']);
  expectOnlyKeys(expr, []);
  // JSONata floors a fractional index once, the same way for every message.
  return Math.floor(expr['value']);
}

function readLiteral(node: RawNode, position: number | undefined): LiteralNode {
  expectOnlyKeys(node, []);
  const value = node['value'];
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) {
    return { kind: 'literal', position, value };
  }
  throw unsupportedConstruct(`literal ${String(value)}`, position);
}

function readBinary(node: RawNode, position: number | undefined, depth: number): BinaryNode {
  const operator = node['value'];
  if (typeof operator !== 'string' || !BINARY_OPERATORS.has(operator)) {
    const name = operator === '..' ? 'range operator ..' : `operator ${String(operator)}`;
    throw unsupportedConstruct(name, position);
  }
  expectOnlyKeys(node, ['lhs', 'rhs']);
  return {
    kind: 'binary',
    position,
    operator: operator as BinaryOperator,
    lhs: readNode(node['lhs'], depth + 1),
    rhs: readNode(node['rhs'], depth + 1),
  };
}

function readUnary(node: RawNode, position: number | undefined, depth: number): NegateNode | ArrayNode {
  const operator = node['value'];
  if (operator === '-') {
    expectOnlyKeys(node, ['expression']);
    return { kind: 'negate', position, operand: readNode(node['expression'], depth + 1) };
  }
  if (operator === '[') {
    expectOnlyKeys(node, ['expressions']);
    const rawItems = node['expressions'];
    if (!Array.isArray(rawItems)) throw unsupportedConstruct('array constructor', position);
    const items: FilterNode[] = [];
    for (const item of rawItems) items.push(readNode(item, depth + 1));
    return { kind: 'array', position, items: Object.freeze(items) };
  }
  if (operator === '{') throw unsupportedConstruct('object constructor {...}', position);
  throw unsupportedConstruct(`unary operator ${String(operator)}`, position);
}

function readCall(node: RawNode, position: number | undefined, depth: number): CallNode | ContainsNode {
  const procedure = asRawNode(node['procedure']);
  const name = procedure['value'];
  if (procedure['type'] === 'path') {
    // `not(x)` parses as a call of the field `not`; JSONata then fails with T1005/T1006.
    const steps = procedure['steps'];
    const first = Array.isArray(steps) && steps.length === 1 && isRawNode(steps[0]) ? steps[0]['value'] : undefined;
    const hint =
      typeof first === 'string' && isFilterFunction(first) ? `JSONata's function is $${first}(...)` : undefined;
    throw unsupportedConstruct(
      `call of ${typeof first === 'string' ? first : 'a path'}(...) without $`,
      position,
      hint,
    );
  }
  if (procedure['type'] !== 'variable' || typeof name !== 'string') {
    throw unsupportedConstruct('call of a computed function', position);
  }
  if (!isFilterFunction(name)) throw unsupportedConstruct(`function $${name}`, positionOf(procedure) ?? position);
  expectOnlyKeys(node, ['arguments', 'procedure']);
  const rawArgs = node['arguments'];
  const arity = FUNCTION_ARITY[name];
  if (!Array.isArray(rawArgs) || rawArgs.length !== arity) {
    const count = Array.isArray(rawArgs) ? rawArgs.length : 0;
    throw unsupportedConstruct(
      `function $${name} with ${count} argument${count === 1 ? '' : 's'}`,
      position,
      `a filter must give it exactly ${arity}`,
    );
  }
  if (name !== 'contains') return { kind: 'call', position, name, arg: readNode(rawArgs[0], depth + 1) };
  const token: unknown = rawArgs[1];
  return {
    kind: 'contains',
    position,
    text: readNode(rawArgs[0], depth + 1),
    token: isRawNode(token) && token['type'] === 'regex' ? readRegex(token) : readNode(token, depth + 1),
  };
}

function readRegex(node: RawNode): RegexNode {
  const position = positionOf(node);
  expectOnlyKeys(node, []);
  const value = node['value'];
  if (!(value instanceof RegExp)) throw unsupportedConstruct('regex literal', position);
  return { kind: 'regex', position, pattern: value.source, flags: value.flags.replace('g', '') };
}

function readBlock(node: RawNode, position: number | undefined, depth: number): BlockNode {
  expectOnlyKeys(node, ['expressions']);
  const expressions = node['expressions'];
  if (!Array.isArray(expressions) || expressions.length !== 1) {
    throw unsupportedConstruct('block (...; ...) of several expressions', position);
  }
  return { kind: 'block', position, expression: readNode(expressions[0], depth + 1) };
}

function readCondition(node: RawNode, position: number | undefined, depth: number): ConditionNode {
  expectOnlyKeys(node, ['condition', 'then', 'else']);
  const otherwise = node['else'];
  return {
    kind: 'condition',
    position,
    condition: readNode(node['condition'], depth + 1),
    then: readNode(node['then'], depth + 1),
    otherwise: otherwise === undefined ? undefined : readNode(otherwise, depth + 1),
  };
}

/** Rejects any key beyond the neutral ones and `allowed`, naming the feature it switches on. */
function expectOnlyKeys(node: RawNode, allowed: readonly string[], position = positionOf(node)): void {
  for (const key of Object.keys(node)) {
    // jsonata copies some optional fields even when unset (e.g. `name: undefined` on calls).
    if (NEUTRAL_KEYS.has(key) || allowed.includes(key) || node[key] === undefined) continue;
    const feature = FEATURE_KEYS[key] ?? `${String(node['type'])} expression with "${key}"`;
    throw unsupportedConstruct(feature, featurePosition(node[key]) ?? position);
  }
}

function describeUnsupported(node: RawNode): string {
  const value = node['value'];
  switch (node['type']) {
    case 'variable':
      if (value === '') return 'context variable $';
      if (value === '$') return 'root variable $$';
      return `variable $${String(value)}`;
    case 'lambda':
      return 'lambda function(...) {...}';
    case 'bind':
      return 'variable binding :=';
    case 'wildcard':
      return 'wildcard *';
    case 'descendant':
      return 'descendant wildcard **';
    case 'parent':
      return 'parent operator %';
    case 'sort':
      return 'order-by ^(...)';
    case 'transform':
      return 'transform |...|...|';
    case 'apply':
      return 'function application ~>';
    case 'partial':
      return 'partial application ?';
    case 'function': {
      const procedure = node['procedure'];
      const name =
        isRawNode(procedure) && typeof procedure['value'] === 'string' ? `$${procedure['value']}` : 'a function';
      return `call of ${name}(...)`;
    }
    case 'block':
      return 'block (...)';
    case 'unary':
      if (value === '{') return 'object constructor {...}';
      if (value === '[') return 'array constructor [...]';
      return `unary ${String(value)}`;
    default:
      return `${String(node['type'])} expression`;
  }
}

/** Where a feature's own sub-node (e.g. a `group`) starts, if it says. */
function featurePosition(feature: unknown): number | undefined {
  const first = Array.isArray(feature) ? feature[0] : feature;
  return isRawNode(first) ? positionOf(first) : undefined;
}

function isFilterFunction(name: string): name is FilterFunctionName {
  return Object.prototype.hasOwnProperty.call(FUNCTION_ARITY, name);
}

function isRawNode(value: unknown): value is RawNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asRawNode(value: unknown): RawNode {
  if (!isRawNode(value)) throw unsupportedConstruct('malformed expression', undefined);
  return value;
}

function positionOf(node: RawNode): number | undefined {
  const position = node['position'];
  return typeof position === 'number' ? position : undefined;
}
