// The compiled form of a select list: for each path, whether the field there is kept whole,
// dropped whole, or kept field by field. Built once from the steps; projection walks it.

/** Keep the value whole (shared by reference). */
export const KEEP_ALL: unique symbol = Symbol('keep-all');
/** Drop the value. */
export const DROP_ALL: unique symbol = Symbol('drop-all');

/**
 * Decide field by field. `keepRest` is the decision for the value itself and for every field not
 * named in `names`; `children[i]` decides the field `names[i]`. Names are sorted (UTF-16 order),
 * so the tree, its canonical spelling and its output key order depend only on what it selects.
 */
export interface FieldSelection {
  readonly keepRest: boolean;
  readonly names: readonly string[];
  readonly children: readonly Selection[];
  /** The same children by name, for the walk over an input object's own keys. */
  readonly byName: ReadonlyMap<string, Selection>;
}

export type Selection = typeof KEEP_ALL | typeof DROP_ALL | FieldSelection;
