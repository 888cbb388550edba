// Compiles select list text once into a projection; delivery then calls `project` per message
// without looking at the text again.
import { buildSelection } from './build-selection.js';
import { canonicalSelect } from './canonical-select.js';
import { parseSelect } from './parse-select.js';
import { projectDocument } from './project-selection.js';

export interface CompiledSelect {
  /** The text this was compiled from (for a shared or composed select, see its maker). */
  readonly source: string;
  /** Normalized spelling: equal canonical forms project identically, so it keys shared selects. */
  readonly canonical: string;
  /**
   * The selected part of `document`. Never writes the input; shares kept values with it (possibly
   * returning `document` itself), so treat the output as immutable. Not a plain object: `{}`.
   */
  project(document: Record<string, unknown>): Record<string, unknown>;
}

/** Parses and compiles `selectList`; throws SelectError when it is malformed or over a limit. */
export function compileSelect(selectList: string): CompiledSelect {
  const root = buildSelection(parseSelect(selectList));
  return Object.freeze({
    source: selectList,
    canonical: canonicalSelect(root),
    project: (document: Record<string, unknown>) => projectDocument(root, document),
  });
}
