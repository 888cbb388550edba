// compileFilter: a content filter in JSONata expression syntax (or the AMPS syntax), compiled once
// (when the subscription or entitlement answer is made) into a plain synchronous predicate. The
// message path only ever calls the compiled closure; jsonata's evaluate() (async, ~14 µs) is never
// involved.
import { compileNode } from './compile-node.js';
import { describeYields, Yields } from './compiled-node.js';
import { FilterError } from './filter-error.js';
import { readFilterAst, type FilterNode } from './filter-ast.js';
import { FILTER_SYNTAXES, isFilterSyntax, type FilterSyntax } from './filter-syntax.js';
import { parseAmpsFilter } from './parse-amps-filter.js';
import { parseFilter } from './parse-filter.js';

export interface CompiledFilter {
  /** The expression as given. */
  readonly source: string;
  /** The syntax it was written in. */
  readonly syntax: FilterSyntax;
  /**
   * True iff the expression evaluates to exactly `true` for `document`. Anything else is false:
   * false, a missing result (e.g. a comparison with a missing field), a non-boolean value, and
   * anything JSONata would throw on (e.g. `px > 1` when px is a string).
   */
  test(document: unknown): boolean;
}

/** A filter in the JSONata syntax. Throws FilterError, naming the construct, for anything outside the supported subset. */
export function compileFilter(expression: string): CompiledFilter {
  return compileFilterWithSyntax(expression, 'jsonata');
}

/**
 * A filter in either syntax. Apart from compileFilter, so that `expressions.map(compileFilter)`
 * never passes an index as the syntax.
 */
export function compileFilterWithSyntax(expression: string, syntax: FilterSyntax): CompiledFilter {
  const ast = parseAst(expression, syntax);
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
    syntax,
    test: (document: unknown): boolean => evaluate(document) === true,
  });
}

/** Both syntaxes end in the same narrowed AST: everything after this is one implementation. */
function parseAst(expression: string, syntax: FilterSyntax): FilterNode {
  if (!isFilterSyntax(syntax)) {
    throw new FilterError(
      `unknown filter syntax ${JSON.stringify(syntax)}: expected ${FILTER_SYNTAXES.join(' or ')}`,
      'filter syntax',
    );
  }
  return syntax === 'amps' ? parseAmpsFilter(expression) : readFilterAst(parseFilter(expression));
}
