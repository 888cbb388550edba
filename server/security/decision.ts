// A resolved entitlement answer as the broker keeps it: frozen, and shared where possible so the
// delivery path can test identity (`=== ALLOW_ALL`) instead of reading fields.
import { isFilterSyntax, type FilterSyntax } from '../content/filter/index.js';
import type { EntitlementAnswer } from './module-types.js';

export interface Decision {
  readonly allow: boolean;
  /** Entitlement content filter (applied by the content-filter stage), or null. */
  readonly filter: string | null;
  /** The syntax `filter` is written in: the answer's, else the broker's default (content.filterSyntax). */
  readonly filterSyntax: FilterSyntax;
  /** Entitlement select list, or null. */
  readonly select: string | null;
  /** True when the module failed (threw, rejected, timed out): a deny that is never cached. */
  readonly failed: boolean;
}

/** Allowed with no filter and no select list: the common case, compared by identity on the hot path. */
export const ALLOW_ALL: Decision = Object.freeze({
  allow: true,
  filter: null,
  filterSyntax: 'jsonata',
  select: null,
  failed: false,
});
export const DENY: Decision = Object.freeze({
  allow: false,
  filter: null,
  filterSyntax: 'jsonata',
  select: null,
  failed: false,
});
export const DENY_FAILED: Decision = Object.freeze({
  allow: false,
  filter: null,
  filterSyntax: 'jsonata',
  select: null,
  failed: true,
});

/**
 * Normalize a module's answer; anything malformed denies (fail closed), an unknown `filterSyntax`
 * included. A filter without a `filterSyntax` is in `defaultSyntax` (content.filterSyntax).
 */
export function toDecision(answer: EntitlementAnswer | null | undefined, defaultSyntax: FilterSyntax): Decision {
  if (answer === null || typeof answer !== 'object' || answer.allow !== true) return DENY;
  const filter = typeof answer.filter === 'string' && answer.filter !== '' ? answer.filter : null;
  const select = typeof answer.select === 'string' && answer.select !== '' ? answer.select : null;
  const syntax: unknown = answer.filterSyntax;
  if (syntax !== undefined && !isFilterSyntax(syntax)) return DENY;
  if (filter === null && select === null) return ALLOW_ALL;
  const filterSyntax = filter === null ? 'jsonata' : (syntax ?? defaultSyntax);
  return Object.freeze({ allow: true, filter, filterSyntax, select, failed: false });
}

export function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<T>).then === 'function';
}
