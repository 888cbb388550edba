// One parsed step of a select list: include (`+`) or exclude (`-`) the field at `path`.

export interface SelectStep {
  readonly include: boolean;
  /** Field names from the document root; empty for `+/` and `-/` (the whole document). */
  readonly path: readonly string[];
}
