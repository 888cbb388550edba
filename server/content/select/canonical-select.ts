// Spells a normalized selection as a select list. Two lists with the same spelling have the same
// tree, hence the same projection, so the spelling is a safe key for sharing compiled selects.
// The spelling parses back to the same tree; it never contains an unescaped `|`.
import { escapeField } from './field-escape.js';
import { DROP_ALL, KEEP_ALL, type FieldSelection, type Selection } from './selection.js';

/** Canonical spelling of the identity list (keep everything). */
export const SELECT_ALL = '+/';
/** Canonical spelling of the list that keeps nothing. */
export const SELECT_NONE = '-/';

export function canonicalSelect(root: Selection): string {
  if (root === KEEP_ALL) return SELECT_ALL;
  if (root === DROP_ALL) return SELECT_NONE;
  // A root that keeps the rest needs no step: that is where every list starts.
  const steps: string[] = root.keepRest ? [] : [SELECT_NONE];
  writeChildren(root, '', steps);
  return steps.join(',');
}

function writeChildren(node: FieldSelection, prefix: string, steps: string[]): void {
  for (let i = 0; i < node.names.length; i++) {
    const path = `${prefix}/${escapeField(node.names[i]!)}`;
    const child = node.children[i]!;
    if (child === KEEP_ALL) steps.push(`+${path}`);
    else if (child === DROP_ALL) steps.push(`-${path}`);
    else {
      // Only a change from the inherited decision needs a step; the children then refine it.
      if (child.keepRest !== node.keepRest) steps.push(`${child.keepRest ? '+' : '-'}${path}`);
      writeChildren(child, path, steps);
    }
  }
}
