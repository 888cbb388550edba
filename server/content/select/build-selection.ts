// Applies steps in order to a mutable decision tree, then freezes it in normal form: a child that
// repeats its parent's decision is dropped, and a node left with no children becomes KEEP_ALL or
// DROP_ALL. So redundant steps vanish, and equal trees mean equal projections.
import { DROP_ALL, KEEP_ALL, type FieldSelection, type Selection } from './selection.js';
import type { SelectStep } from './parse-select.js';

/** `true` keep whole, `false` drop whole, or decided field by field. */
type Draft = boolean | DraftFields;

interface DraftFields {
  readonly keepRest: boolean;
  readonly fields: Map<string, Draft>;
}

export function buildSelection(steps: readonly SelectStep[]): Selection {
  // With no step naming the root, the whole document is kept (a list starts from its input).
  let root: Draft = true;
  for (const step of steps) root = applyStep(root, step.path, 0, step.include);
  return freeze(root);
}

/** A step on a path replaces everything decided at or below it, earlier steps included. */
function applyStep(draft: Draft, path: readonly string[], depth: number, include: boolean): Draft {
  if (depth === path.length) return include;
  const node: DraftFields = typeof draft === 'boolean' ? { keepRest: draft, fields: new Map() } : draft;
  const name = path[depth]!;
  node.fields.set(name, applyStep(node.fields.get(name) ?? node.keepRest, path, depth + 1, include));
  return node;
}

function freeze(draft: Draft): Selection {
  if (draft === true) return KEEP_ALL;
  if (draft === false) return DROP_ALL;
  const inherited = draft.keepRest ? KEEP_ALL : DROP_ALL;
  const names: string[] = [];
  const frozen = new Map<string, Selection>();
  for (const [name, child] of draft.fields) {
    const selection = freeze(child);
    if (selection === inherited) continue;
    names.push(name);
    frozen.set(name, selection);
  }
  if (names.length === 0) return inherited;
  names.sort();
  const node: FieldSelection = {
    keepRest: draft.keepRest,
    names,
    children: names.map((name) => frozen.get(name)!),
    byName: frozen,
  };
  return Object.freeze(node);
}
