// What the policy module remembers of its shadow policy's differences (docs/entitlement.md#shadow-policy):
// counts by kind, the latest differences, the users and resources with the most, all bounded; and
// the rate limit of their audit lines, so that a hot (user, action, resource) asked again and again
// (a short cache TTL) writes one line per window, the rest counted into the next.
import type {
  CompactAnswer,
  EntitlementAnswer,
  EntitlementRequest,
  ShadowDifference,
  ShadowDifferenceKind,
  ShadowSummary,
} from '../module-types.js';
import { TopCounts } from './top-counts.js';

/** The latest differences kept for the summary. */
export const SHADOW_RECENT_DIFFERENCES = 50;
/** How many users and resources the summary's top lists name. */
export const SHADOW_TOP = 10;
/** Users, and resources, counted for the top lists (beyond it, counts are approximate: top-counts.ts). */
export const SHADOW_COUNTED_KEYS = 1000;
/** One audit line per (user, action, resource) per window; the others are counted into the next line. */
export const SHADOW_AUDIT_WINDOW_MS = 60_000;
/** Triples whose window is remembered; the oldest is forgotten beyond it. */
export const SHADOW_AUDIT_TRACKED = 10_000;

export const SHADOW_DIFFERENCE_KINDS: readonly ShadowDifferenceKind[] = [
  'allowed-now-denied',
  'denied-now-allowed',
  'filter-changed',
  'select-changed',
];

const NO_KINDS: readonly ShadowDifferenceKind[] = Object.freeze([]);

/** How `shadow` differs from `live`: nothing (the same decision; a denial's reason does not count), or its kinds. */
export function differenceKinds(live: EntitlementAnswer, shadow: EntitlementAnswer): readonly ShadowDifferenceKind[] {
  if (live.allow !== shadow.allow) return live.allow ? ['allowed-now-denied'] : ['denied-now-allowed'];
  if (!live.allow || !shadow.allow) return NO_KINDS;
  const kinds: ShadowDifferenceKind[] = [];
  if (live.filter !== shadow.filter) kinds.push('filter-changed');
  if (live.select !== shadow.select) kinds.push('select-changed');
  return kinds.length === 0 ? NO_KINDS : kinds;
}

/** The answer without a denial's reason: what the broker applies. */
export function compactAnswer(answer: EntitlementAnswer): CompactAnswer {
  if (!answer.allow) return { allow: false };
  return {
    allow: true,
    ...(answer.filter !== undefined ? { filter: answer.filter } : {}),
    ...(answer.select !== undefined ? { select: answer.select } : {}),
  };
}

interface Window {
  startedAt: number;
  suppressed: number;
}

export class ShadowRecorder {
  private comparisons = 0;
  private differences = 0;
  private readonly byKind: Record<ShadowDifferenceKind, number> = {
    'allowed-now-denied': 0,
    'denied-now-allowed': 0,
    'filter-changed': 0,
    'select-changed': 0,
  };
  private auditSuppressed = 0;
  private readonly recent: ShadowDifference[] = [];
  private readonly resources = new TopCounts(SHADOW_COUNTED_KEYS);
  private readonly users = new TopCounts(SHADOW_COUNTED_KEYS);
  private readonly windows = new Map<string, Window>();
  private readonly since: string;

  constructor(
    /** The shadow policy's file, or `inline`. */
    private readonly source: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.since = new Date(clock()).toISOString();
  }

  compared(): void {
    this.comparisons++;
  }

  /**
   * Counts a difference. Returns what its audit line adds (`suppressed`: lines held back since the
   * last one for the same triple), or null when the line is held back.
   */
  record(
    request: EntitlementRequest,
    kinds: readonly ShadowDifferenceKind[],
    details: Pick<ShadowDifference, 'live' | 'shadow' | 'liveRule' | 'shadowRule'>,
  ): { suppressed?: number } | null {
    const now = this.clock();
    this.differences++;
    for (const kind of kinds) this.byKind[kind]++;
    const { user, action, resourceType, resource } = request;
    this.recent.push({ at: new Date(now).toISOString(), user, action, resourceType, resource, kinds, ...details });
    if (this.recent.length > SHADOW_RECENT_DIFFERENCES) this.recent.shift();
    this.resources.add(`${action}\u0000${resourceType}\u0000${resource}`);
    this.users.add(user);
    return this.auditWindow(`${user}\u0000${action}\u0000${resourceType}\u0000${resource}`, now);
  }

  summary(): ShadowSummary {
    return {
      source: this.source,
      since: this.since,
      comparisons: this.comparisons,
      differences: this.differences,
      byKind: { ...this.byKind },
      auditSuppressed: this.auditSuppressed,
      recent: [...this.recent].reverse(),
      topResources: this.resources.top(SHADOW_TOP).map(({ key, count }) => {
        const [action, resourceType, ...resource] = key.split('\u0000') as [
          ShadowDifference['action'],
          ShadowDifference['resourceType'],
          ...string[],
        ];
        return { action, resourceType, resource: resource.join('\u0000'), differences: count };
      }),
      topUsers: this.users.top(SHADOW_TOP).map(({ key, count }) => ({ user: key, differences: count })),
    };
  }

  private auditWindow(key: string, now: number): { suppressed?: number } | null {
    const window = this.windows.get(key);
    if (window !== undefined && now - window.startedAt < SHADOW_AUDIT_WINDOW_MS) {
      window.suppressed++;
      this.auditSuppressed++;
      return null;
    }
    const suppressed = window?.suppressed ?? 0;
    // Re-inserted, so the map's order is the age of the windows (the oldest goes first).
    this.windows.delete(key);
    this.windows.set(key, { startedAt: now, suppressed: 0 });
    if (this.windows.size > SHADOW_AUDIT_TRACKED) this.windows.delete(this.windows.keys().next().value!);
    return suppressed > 0 ? { suppressed } : {};
  }
}
