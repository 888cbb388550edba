// Compiled content rules, shared: each distinct filter and select list is compiled once, and
// each distinct (entitlement select, subscriber select) pair composed once, so subscribers with
// equal rules hold the same objects (and so share projected, encoded bodies per message).
import type { Decision } from '../security/decision.js';
import { compileFilterWithSyntax, type CompiledFilter, type FilterSyntax } from './filter/index.js';
import { SelectCache, type CompiledSelect } from './select/index.js';

/** Distinct rules kept compiled; past it the caches start over (compiled objects in use stay valid). */
const MAX_CACHED = 10_000;

class BoundedCache<V> {
  private readonly map = new Map<string, V>();

  get(key: string, make: () => V): V {
    let value = this.map.get(key);
    if (value === undefined) {
      value = make();
      if (this.map.size >= MAX_CACHED) this.map.clear();
      this.map.set(key, value);
    }
    return value;
  }
}

const filters = new BoundedCache<CompiledFilter>();
/** Shares select lists (and compositions) by canonical form, so equal rules are one object. */
const selects = new SelectCache(MAX_CACHED);

/**
 * Throws FilterError for an expression outside the supported subset. Keyed by syntax too: the same
 * text may be a different filter in the other syntax (or none).
 */
export function filterFor(source: string, syntax: FilterSyntax): CompiledFilter {
  return filters.get(`${syntax}\u0000${source}`, () => compileFilterWithSyntax(source, syntax));
}

/** Throws SelectError for a malformed select list. */
export function selectFor(source: string): CompiledSelect {
  return selects.select(source);
}

/** The entitlement select list, then the subscriber's (AMPS, "Entitlement Select Lists"). */
export function composedSelect(
  entitlement: CompiledSelect | null,
  subscriber: CompiledSelect | null,
): CompiledSelect | null {
  return selects.compose(entitlement, subscriber);
}

/** An entitlement answer's filter and select list, compiled. */
export interface EntitlementRules {
  readonly filter: CompiledFilter | null;
  readonly select: CompiledSelect | null;
}

const NO_RULES: EntitlementRules = Object.freeze({ filter: null, select: null });
const rulesByDecision = new WeakMap<Decision, EntitlementRules | null>();

/**
 * The compiled rules of an allowing decision, or null when the module sent a filter or select
 * list that does not compile: that answer then denies (fail closed), and `onInvalid` says why.
 */
export function rulesOf(decision: Decision, onInvalid: (err: unknown) => void): EntitlementRules | null {
  if (decision.filter === null && decision.select === null) return NO_RULES;
  let rules = rulesByDecision.get(decision);
  if (rules === undefined) {
    try {
      rules = Object.freeze({
        filter: decision.filter === null ? null : filterFor(decision.filter, decision.filterSyntax),
        select: decision.select === null ? null : selectFor(decision.select),
      });
    } catch (err) {
      onInvalid(err);
      rules = null;
    }
    rulesByDecision.set(decision, rules);
  }
  return rules;
}
