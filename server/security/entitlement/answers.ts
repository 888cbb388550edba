// Entitlement answers built once and frozen, so deciding a request allocates nothing and no caller
// can alter an answer that other requests share.
import type { FilterSyntax } from '../../content/filter/index.js';
import type { EntitlementAnswer } from '../module-types.js';

export type AllowAnswer = Extract<EntitlementAnswer, { allow: true }>;
export type DenyAnswer = Extract<EntitlementAnswer, { allow: false }>;

/** Allowed, with no filter and no select list. */
export const ALLOW: AllowAnswer = Object.freeze({ allow: true });

export function denyAnswer(reason: string): DenyAnswer {
  return Object.freeze({ allow: false, reason });
}

/** An allow answer carrying only the restrictions that are present (no `filter: undefined` keys). */
export function allowAnswer(
  filter: string | undefined,
  select: string | undefined,
  filterSyntax?: FilterSyntax,
): AllowAnswer {
  if (filter === undefined && select === undefined) return ALLOW;
  const answer: { allow: true; filter?: string; filterSyntax?: FilterSyntax; select?: string } = { allow: true };
  if (filter !== undefined) answer.filter = filter;
  if (filter !== undefined && filterSyntax !== undefined) answer.filterSyntax = filterSyntax;
  if (select !== undefined) answer.select = select;
  return Object.freeze(answer);
}
