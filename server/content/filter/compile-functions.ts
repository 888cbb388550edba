// The functions a filter may call. Each checks its arguments against JSONata's signature for it
// (e.g. `<s-:n>` for $length: a string or nothing), where a mismatch is JSONata's T0410 (FAULT),
// and passes nothing through as nothing, as JSONata's implementations do.
import { dynamicNode, Yields, type CompiledNode, type Evaluate } from './compiled-node.js';
import type { UnaryFunctionName } from './filter-ast.js';
import { castBoolean, castString, codePointLength, FAULT } from './jsonata-semantics.js';
import type { TextMatcher } from './literal-regex.js';

/** The second argument of $contains: compiled apart, since a regex literal is not a value. */
export type ContainsToken =
  { readonly kind: 'regex'; readonly regex: TextMatcher } | { readonly kind: 'value'; readonly node: CompiledNode };

export function compileCall(name: UnaryFunctionName, arg: CompiledNode): CompiledNode {
  const evaluate = arg.evaluate;
  switch (name) {
    case 'exists':
      return dynamicNode((document) => {
        const value = evaluate(document);
        return value === FAULT ? FAULT : value !== undefined;
      }, Yields.BOOLEAN);
    case 'boolean':
      return dynamicNode((document) => castBoolean(evaluate(document)), Yields.BOOLEAN);
    case 'not':
      return dynamicNode((document) => {
        const truth = castBoolean(evaluate(document));
        return truth === FAULT || truth === undefined ? truth : !truth;
      }, Yields.BOOLEAN);
    case 'string':
      return dynamicNode((document) => castString(evaluate(document)), Yields.STRING);
    case 'length':
      return compileStringFunction(evaluate, codePointLength, Yields.NUMBER);
    case 'lowercase':
      return compileStringFunction(evaluate, (text) => text.toLowerCase(), Yields.STRING);
    case 'uppercase':
      return compileStringFunction(evaluate, (text) => text.toUpperCase(), Yields.STRING);
  }
}

/** Functions with signature `<s-:...>`: a string, or nothing (gives nothing); anything else faults. */
function compileStringFunction(evaluate: Evaluate, apply: (text: string) => unknown, yields: number): CompiledNode {
  return dynamicNode((document) => {
    const value = evaluate(document);
    if (typeof value === 'string') return apply(value);
    return value === undefined ? undefined : FAULT;
  }, yields);
}

/**
 * `$contains(text, "substring" | /regex/)`, signature `<s-(sf):b>`: both arguments are evaluated,
 * then type-checked, then nothing on either side gives nothing.
 */
export function compileContains(text: CompiledNode, token: ContainsToken): CompiledNode {
  const evaluateText = text.evaluate;
  if (token.kind === 'regex') {
    const regex = token.regex;
    return dynamicNode((document) => {
      const value = evaluateText(document);
      if (typeof value === 'string') return regex.test(value);
      return value === undefined ? undefined : FAULT;
    }, Yields.BOOLEAN);
  }
  const evaluateToken = token.node.evaluate;
  return dynamicNode((document) => {
    const value = evaluateText(document);
    if (value === FAULT) return FAULT;
    const substring = evaluateToken(document);
    if (substring === FAULT) return FAULT;
    if (
      (value !== undefined && typeof value !== 'string') ||
      (substring !== undefined && typeof substring !== 'string')
    ) {
      return FAULT;
    }
    if (value === undefined || substring === undefined) return undefined;
    return value.includes(substring);
  }, Yields.BOOLEAN);
}
