// askModule: one module call for an explanation, failing closed as a real check does, and taking
// from a module's explain() only the fields of a rule.
import { describe, expect, it } from 'vitest';
import { DENY, DENY_FAILED } from '../../../server/security/decision.js';
import { askModule } from '../../../server/security/module-explanation.js';
import type { EntitlementModule, EntitlementRequest } from '../../../server/security/module-types.js';

const REQUEST: EntitlementRequest = { user: 'alice', action: 'read', resourceType: 'topic', resource: 'a/b' };
const noDeadline = <T>(pending: Promise<T>): Promise<T> => pending;
const RULE = { effect: 'grant', location: 'grants[3]', index: 3, text: '{"topics":["a/#"]}' } as const;

describe('askModule', () => {
  it('uses check() when the module has no explain(), and gives no rule', async () => {
    const module: EntitlementModule = { name: 'plain', check: () => ({ allow: false, reason: 'nope' }) };
    const asked = await askModule(module, REQUEST, noDeadline, 'jsonata');
    expect(asked).toEqual({
      decision: DENY,
      reason: 'nope',
      rule: undefined,
      error: null,
      latencyMs: expect.any(Number),
    });
  });

  it("uses explain() when present (not check()), awaiting it, keeping only a rule's known fields", async () => {
    const module: EntitlementModule = {
      name: 'explaining',
      check: () => {
        throw new Error('check() must not be called');
      },
      explain: async () => ({ answer: { allow: true, filter: 'x = 1' }, rule: { ...RULE, secret: 'internal' } }),
    };
    const asked = await askModule(module, REQUEST, noDeadline, 'jsonata');
    expect(asked.decision).toEqual({
      allow: true,
      filter: 'x = 1',
      filterSyntax: 'jsonata',
      select: null,
      failed: false,
    });
    expect(asked.rule).toEqual(RULE);
    expect(asked.error).toBeNull();
  });

  it('passes a null rule through: no rule matched', async () => {
    const module: EntitlementModule = {
      name: 'm',
      check: () => ({ allow: true }),
      explain: () => ({ answer: { allow: true }, rule: null }),
    };
    expect((await askModule(module, REQUEST, noDeadline, 'jsonata')).rule).toBeNull();
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('boom');
      },
      'boom',
    ],
    ['rejects', () => Promise.reject(new Error('down')), 'down'],
    ['returns no object', () => 'allow', 'explain() returned no { answer, rule } object'],
    [
      'returns a malformed rule',
      () => ({ answer: { allow: true }, rule: { effect: 'maybe', location: 'x', index: 0, text: '' } }),
      'explain() returned a malformed rule (expected effect, location, index and text)',
    ],
  ])('denies, as failed, when explain() %s', async (_what, explain, error) => {
    const module = { name: 'bad', check: () => ({ allow: true }), explain } as unknown as EntitlementModule;
    const asked = await askModule(module, REQUEST, noDeadline, 'jsonata');
    expect(asked).toEqual({
      decision: DENY_FAILED,
      reason: null,
      rule: undefined,
      error,
      latencyMs: expect.any(Number),
    });
  });

  it('denies, as failed, when the deadline passes first', async () => {
    const module: EntitlementModule = { name: 'slow', check: () => new Promise(() => {}) };
    const expired = <T>(): Promise<T> => Promise.reject(new Error('no answer within 5 ms'));
    const asked = await askModule(module, REQUEST, expired, 'jsonata');
    expect(asked).toMatchObject({ decision: DENY_FAILED, error: 'no answer within 5 ms' });
  });
});
