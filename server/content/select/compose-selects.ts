// Chains the entitlement select list and the subscriber's: the subscriber's list sees only what
// the entitlement's let through, so a `+` there cannot bring back a field the entitlement dropped.
import { SELECT_ALL } from './canonical-select.js';
import type { CompiledSelect } from './compile-select.js';

/** Joins the two canonical forms; unambiguous because a canonical form never has a bare `|`. */
export const COMPOSE_SEPARATOR = '|';

/**
 * `second` applied to the output of `first` (`null` = no list). The identity list is skipped, so
 * composing with it returns the other select itself. Composition is associative, and so is its
 * canonical key: `first.canonical|second.canonical`.
 */
export function composeSelects(first: CompiledSelect | null, second: CompiledSelect | null): CompiledSelect | null {
  if (first === null || first.canonical === SELECT_ALL) return second;
  if (second === null || second.canonical === SELECT_ALL) return first;
  return Object.freeze({
    source: `${first.source}${COMPOSE_SEPARATOR}${second.source}`,
    canonical: `${first.canonical}${COMPOSE_SEPARATOR}${second.canonical}`,
    project: (document: Record<string, unknown>) => second.project(first.project(document)),
  });
}
