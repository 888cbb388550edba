// compileFilter: a content filter in JSONata expression syntax, compiled once (when the subscription
// or entitlement answer is made) into a plain synchronous predicate. The message path only ever
// calls the compiled closure; jsonata's evaluate() (async, ~14 µs) is never involved.
import { compileNode } from './compile-node.js';
import { describeYields, Yields } from './compiled-node.js';
import { FilterError } from './filter-error.js';
import { readFilterAst } from './filter-ast.js';
import { parseFilter } from './parse-filter.js';

export interface CompiledFilter {
  /** The expression as given. */
  readonly source: string;
  /**
   * True iff the expression evaluates to exactly `true` for `document`. Anything else is false:
   * false, a missing result (e.g. a comparison with a missing field), a non-boolean value, and
   * anything JSONata would throw on (e.g. `px > 1` when px is a string).
   */
  test(document: unknown): boolean;
}

/** Throws FilterError, naming the construct, for anything outside the supported subset. */
export function compileFilter(expression: string): CompiledFilter {
  const ast = readFilterAst(parseFilter(expression));
  const root = compileNode(ast);
  if ((root.yields & Yields.BOOLEAN) === 0) {
    // Such a filter would silently deliver nothing; a number would even mean an index in JSONata.
    const position = ast.position;
    const result =
      root.yields === 0 ? 'always fails or yields nothing' : `yields ${describeYields(root.yields)}, never true`;
    throw new FilterError(
      `filter can never be true: it ${result}${position === undefined ? '' : ` (position ${position})`}`,
      'non-boolean result',
      position,
    );
  }
  const evaluate = root.evaluate;
  return Object.freeze({
    source: expression,
    test: (document: unknown): boolean => evaluate(document) === true,
  });
}
