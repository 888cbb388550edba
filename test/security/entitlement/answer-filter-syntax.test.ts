// An entitlement answer's filter travels with its syntax (docs/entitlement.md#filter-syntax): the
// answer's `filterSyntax`, else the broker's default; an unknown one denies; the compiled filter is
// the one of that syntax.
import { describe, expect, it } from 'vitest';
import { rulesOf } from '../../../server/content/content-rules.js';
import { ALLOW_ALL, DENY, toDecision } from '../../../server/security/decision.js';
import type { EntitlementAnswer } from '../../../server/security/module-types.js';

const noErrors = (err: unknown): never => {
  throw err;
};

describe('the syntax of an entitlement answer’s filter', () => {
  it("is the answer's, else the broker's default", () => {
    expect(toDecision({ allow: true, filter: '/px > 1', filterSyntax: 'amps' }, 'jsonata')).toMatchObject({
      filter: '/px > 1',
      filterSyntax: 'amps',
    });
    expect(toDecision({ allow: true, filter: 'px > 1', filterSyntax: 'jsonata' }, 'amps').filterSyntax).toBe('jsonata');
    expect(toDecision({ allow: true, filter: '/px > 1' }, 'amps').filterSyntax).toBe('amps');
    expect(toDecision({ allow: true, filter: 'px > 1' }, 'jsonata').filterSyntax).toBe('jsonata');
  });

  it('denies an answer that names an unknown syntax, and ignores a syntax without a filter', () => {
    const unknown = { allow: true, filter: 'px > 1', filterSyntax: 'sql' } as unknown as EntitlementAnswer;
    expect(toDecision(unknown, 'jsonata')).toBe(DENY);
    expect(toDecision({ allow: true, filterSyntax: 'amps' }, 'jsonata')).toBe(ALLOW_ALL);
  });

  it('compiles the filter in that syntax, and denies (fail closed) when it does not compile in it', () => {
    const amps = rulesOf(toDecision({ allow: true, filter: "/region = 'EU'" }, 'amps'), noErrors);
    expect(amps?.filter?.test({ region: 'EU' })).toBe(true);
    expect(amps?.filter?.syntax).toBe('amps');
    const invalid: unknown[] = [];
    const jsonata = rulesOf(toDecision({ allow: true, filter: "/region = 'EU'" }, 'jsonata'), (err) =>
      invalid.push(err),
    );
    expect(jsonata).toBeNull();
    expect(invalid).toHaveLength(1);
  });
});
