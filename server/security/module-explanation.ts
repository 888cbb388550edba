// One entitlement module call made for an admin's `explain`, outside the cache: timed, bounded by
// the same deadline as a real check, and failing closed as a real check does. A module's
// explain() is code we do not control, so what it returns is checked field by field.
import type { FilterSyntax } from '../content/filter/index.js';
import { DENY_FAILED, isPromiseLike, toDecision, type Decision } from './decision.js';
import type {
  EntitlementAnswer,
  EntitlementExplanation,
  EntitlementModule,
  EntitlementRequest,
  ExplainedRule,
} from './module-types.js';

export interface ModuleExplanation {
  /** The answer as the broker would apply it (malformed answers deny). */
  readonly decision: Decision;
  /** The module's reason for a denial, if it gave one. */
  readonly reason: string | null;
  /** The rule that decided; null when none matched; undefined when the module has no explain(). */
  readonly rule: ExplainedRule | null | undefined;
  /** Why the call failed (threw, rejected, timed out, malformed explanation): the answer is then a denial. */
  readonly error: string | null;
  /** How long the module took to answer, in milliseconds. */
  readonly latencyMs: number;
}

type Deadline = <T>(pending: Promise<T>) => Promise<T>;

export async function askModule(
  module: EntitlementModule,
  request: EntitlementRequest,
  deadline: Deadline,
  /** What the answer's filter is written in when it does not say (content.filterSyntax). */
  filterSyntax: FilterSyntax,
): Promise<ModuleExplanation> {
  const started = performance.now();
  const elapsed = (): number => Math.round((performance.now() - started) * 1000) / 1000;
  const explain = module.explain;
  const explains = typeof explain === 'function';
  try {
    const pending = explains ? explain.call(module, request) : module.check(request);
    const settled: unknown = isPromiseLike(pending) ? await deadline(Promise.resolve(pending)) : pending;
    const latencyMs = elapsed();
    const explanation: EntitlementExplanation = explains
      ? checkedExplanation(settled)
      : { answer: settled as EntitlementAnswer, rule: null };
    return {
      decision: toDecision(explanation.answer, filterSyntax),
      reason: reasonOf(explanation.answer),
      rule: explains ? explanation.rule : undefined,
      error: null,
      latencyMs,
    };
  } catch (err) {
    return {
      decision: DENY_FAILED,
      reason: null,
      rule: undefined,
      error: err instanceof Error ? err.message : String(err),
      latencyMs: elapsed(),
    };
  }
}

function reasonOf(answer: unknown): string | null {
  if (typeof answer !== 'object' || answer === null) return null;
  const { allow, reason } = answer as { allow?: unknown; reason?: unknown };
  return allow !== true && typeof reason === 'string' ? reason : null;
}

function checkedExplanation(value: unknown): EntitlementExplanation {
  if (typeof value !== 'object' || value === null || !('answer' in value))
    throw new Error('explain() returned no { answer, rule } object');
  const { answer, rule } = value as { answer: unknown; rule?: unknown };
  return { answer: answer as EntitlementAnswer, rule: checkedRule(rule) };
}

const optionalString = (value: unknown): value is string | undefined =>
  value === undefined || typeof value === 'string';

/** Copies the known fields, so nothing else a module put there reaches the admin's answer. */
function checkedRule(value: unknown): ExplainedRule | null {
  if (value === null || value === undefined) return null;
  const rule = value as Partial<Record<keyof ExplainedRule, unknown>>;
  if (
    (rule.effect !== 'grant' && rule.effect !== 'deny') ||
    typeof rule.location !== 'string' ||
    typeof rule.index !== 'number' ||
    typeof rule.text !== 'string' ||
    !optionalString(rule.group) ||
    !optionalString(rule.user) ||
    !optionalString(rule.pattern)
  )
    throw new Error('explain() returned a malformed rule (expected effect, location, index and text)');
  return {
    effect: rule.effect,
    location: rule.location,
    ...(rule.group !== undefined ? { group: rule.group } : {}),
    ...(rule.user !== undefined ? { user: rule.user } : {}),
    index: rule.index,
    text: rule.text,
    ...(rule.pattern !== undefined ? { pattern: rule.pattern } : {}),
  };
}
