// The shadow policy's bookkeeping on its own: how two answers differ, the bounded summary (latest
// differences, top users and resources), and the audit lines' rate limit per (user, action,
// resource), with a clock the test moves.
import { describe, expect, it } from 'vitest';
import {
  compactAnswer,
  differenceKinds,
  SHADOW_AUDIT_WINDOW_MS,
  SHADOW_RECENT_DIFFERENCES,
  SHADOW_TOP,
  ShadowRecorder,
} from '../../../server/security/entitlement/shadow-recorder.js';
import { TopCounts } from '../../../server/security/entitlement/top-counts.js';
import type { EntitlementAnswer } from '../../../server/security/module-types.js';
import { read, write } from './helpers.js';

const allow = (filter?: string, select?: string): EntitlementAnswer => ({
  allow: true,
  ...(filter !== undefined ? { filter } : {}),
  ...(select !== undefined ? { select } : {}),
});
const deny = (reason = 'no'): EntitlementAnswer => ({ allow: false, reason });

describe('differenceKinds', () => {
  it('names how the shadow answer differs; a denial reason is not a difference', () => {
    expect(differenceKinds(allow(), deny())).toEqual(['allowed-now-denied']);
    expect(differenceKinds(deny(), allow('a = 1'))).toEqual(['denied-now-allowed']);
    expect(differenceKinds(allow('a = 1'), allow('a = 2'))).toEqual(['filter-changed']);
    expect(differenceKinds(allow(undefined, '-/x'), allow())).toEqual(['select-changed']);
    expect(differenceKinds(allow('a = 1', '-/x'), allow('a = 2', '-/y'))).toEqual(['filter-changed', 'select-changed']);
    expect(differenceKinds(allow('a = 1', '-/x'), allow('a = 1', '-/x'))).toEqual([]);
    expect(differenceKinds(deny('denied by deny[0]'), deny('no read grant matches the topic'))).toEqual([]);
  });

  it('compacts an answer to what the broker applies', () => {
    expect(compactAnswer(deny('denied by deny[3]'))).toEqual({ allow: false });
    expect(compactAnswer(allow('a = 1', '-/x'))).toEqual({ allow: true, filter: 'a = 1', select: '-/x' });
    expect(compactAnswer(allow())).toEqual({ allow: true });
  });
});

const DETAILS = { live: { allow: true }, shadow: { allow: false }, liveRule: 'groups.g.grants[0]', shadowRule: null };

describe('ShadowRecorder', () => {
  it('counts comparisons and differences by kind, and keeps the latest differences, newest first', () => {
    let now = Date.parse('2026-12-01T10:00:00Z');
    const recorder = new ShadowRecorder('/etc/warden/next.yaml', () => now);
    for (let i = 0; i < SHADOW_RECENT_DIFFERENCES + 5; i++) {
      recorder.compared();
      recorder.compared();
      now += 1000;
      recorder.record(
        read('alice', `t/${i}`),
        i % 2 === 0 ? ['allowed-now-denied'] : ['filter-changed', 'select-changed'],
        DETAILS,
      );
    }
    const summary = recorder.summary();
    expect(summary).toMatchObject({
      source: '/etc/warden/next.yaml',
      since: '2026-12-01T10:00:00.000Z',
      comparisons: 2 * (SHADOW_RECENT_DIFFERENCES + 5),
      differences: SHADOW_RECENT_DIFFERENCES + 5,
      byKind: { 'allowed-now-denied': 28, 'denied-now-allowed': 0, 'filter-changed': 27, 'select-changed': 27 },
      auditSuppressed: 0,
    });
    expect(summary.recent).toHaveLength(SHADOW_RECENT_DIFFERENCES);
    expect(summary.recent[0]).toEqual({
      at: '2026-12-01T10:00:55.000Z',
      user: 'alice',
      action: 'read',
      resourceType: 'topic',
      resource: `t/${SHADOW_RECENT_DIFFERENCES + 4}`,
      kinds: ['allowed-now-denied'],
      ...DETAILS,
    });
    expect(summary.recent.at(-1)?.resource).toBe('t/5');
  });

  it('names the users and resources with the most differences, at most SHADOW_TOP of each', () => {
    const recorder = new ShadowRecorder('inline');
    for (let user = 0; user < SHADOW_TOP + 3; user++)
      for (let n = 0; n <= user; n++)
        recorder.record(write(`u${user}`, `orders/${user % 3}`), ['denied-now-allowed'], DETAILS);
    const { topUsers, topResources } = recorder.summary();
    expect(topUsers).toHaveLength(SHADOW_TOP);
    expect(topUsers[0]).toEqual({ user: `u${SHADOW_TOP + 2}`, differences: SHADOW_TOP + 3 });
    expect(topUsers.map((u) => u.differences)).toEqual([...topUsers.map((u) => u.differences)].sort((a, b) => b - a));
    expect(topResources).toEqual([
      { action: 'write', resourceType: 'topic', resource: 'orders/0', differences: 1 + 4 + 7 + 10 + 13 },
      { action: 'write', resourceType: 'topic', resource: 'orders/2', differences: 3 + 6 + 9 + 12 },
      { action: 'write', resourceType: 'topic', resource: 'orders/1', differences: 2 + 5 + 8 + 11 },
    ]);
  });

  it('writes one audit line per (user, action, resource) per window, the held-back ones counted into the next', () => {
    let now = 0;
    const recorder = new ShadowRecorder('inline', () => now);
    const lines: ({ suppressed?: number } | null)[] = [];
    for (let i = 0; i < 4; i++) lines.push(recorder.record(read('bob', 'hot'), ['allowed-now-denied'], DETAILS));
    lines.push(recorder.record(read('bob', 'other'), ['allowed-now-denied'], DETAILS));
    lines.push(recorder.record(write('bob', 'hot'), ['allowed-now-denied'], DETAILS));
    expect(lines).toEqual([{}, null, null, null, {}, {}]);
    now += SHADOW_AUDIT_WINDOW_MS - 1;
    expect(recorder.record(read('bob', 'hot'), ['allowed-now-denied'], DETAILS)).toBeNull();
    now += 1;
    expect(recorder.record(read('bob', 'hot'), ['allowed-now-denied'], DETAILS)).toEqual({ suppressed: 4 });
    expect(recorder.summary()).toMatchObject({ differences: 8, auditSuppressed: 4 });
  });
});

describe('TopCounts', () => {
  it('counts exactly up to its capacity', () => {
    const counts = new TopCounts(3);
    for (const key of ['a', 'b', 'a', 'c', 'a', 'b']) counts.add(key);
    expect(counts.top(2)).toEqual([
      { key: 'a', count: 3 },
      { key: 'b', count: 2 },
    ]);
  });

  it('past its capacity never loses a key counted more often than the least counted one', () => {
    const counts = new TopCounts(10);
    // A heavy key among a thousand that appear once each: 200 of 1200, more than 1200 / capacity.
    for (let i = 0; i < 1000; i++) {
      counts.add(`rare${i}`);
      if (i % 5 === 0) counts.add('heavy');
    }
    const [first] = counts.top(1);
    expect(first?.key).toBe('heavy');
    // Space-Saving may overestimate, never underestimate.
    expect(first!.count).toBeGreaterThanOrEqual(200);
  });
});
