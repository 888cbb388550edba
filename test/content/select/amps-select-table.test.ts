// The table in AMPS User Guide, Securing AMPS, "Entitlement Select Lists": message, entitlement
// select list, subscriber select list and result, reproduced row by row. These results must hold
// exactly.
import { describe, expect, it } from 'vitest';
import { compileSelect, composeSelects, type CompiledSelect } from '../../../server/content/select/index.js';
import { deepFreeze } from './helpers.js';

interface AmpsTableRow {
  readonly message: string;
  readonly entitlement: string;
  readonly subscriber: string | null;
  readonly result: string;
}

const AMPS_TABLE: readonly AmpsTableRow[] = [
  { message: '{"a":1,"b":2}', entitlement: '-/a', subscriber: '+/a', result: '{"b":2}' },
  { message: '{"a":1,"b":2}', entitlement: '-/,+/b', subscriber: null, result: '{"b":2}' },
  {
    message: '{"a":1, "b":2, "c": {"c1":1, "c2":2, "c3":3} }',
    entitlement: '-/,+/b,+/c/c2',
    subscriber: '-/,+/c/c1,+/c/c2',
    result: '{"c": {"c2":2}}',
  },
];

function optional(list: string | null): CompiledSelect | null {
  return list === null ? null : compileSelect(list);
}

describe('the AMPS entitlement select list table', () => {
  for (const [index, row] of AMPS_TABLE.entries()) {
    const label = `row ${index + 1}: ${row.message} | ${row.entitlement} | ${row.subscriber ?? '(none)'}`;

    it(`${label} gives ${row.result}`, () => {
      const message = deepFreeze(JSON.parse(row.message) as Record<string, unknown>);
      const composed = composeSelects(compileSelect(row.entitlement), optional(row.subscriber));
      expect(composed).not.toBeNull();
      const result = composed!.project(message);
      expect(result).toStrictEqual(JSON.parse(row.result));
      expect(JSON.stringify(result)).toBe(JSON.stringify(JSON.parse(row.result)));
    });

    it(`${label}: the subscriber list sees only the entitlement list's output`, () => {
      const message = deepFreeze(JSON.parse(row.message) as Record<string, unknown>);
      const afterEntitlement = compileSelect(row.entitlement).project(message);
      const sequential =
        row.subscriber === null ? afterEntitlement : compileSelect(row.subscriber).project(afterEntitlement);
      expect(sequential).toStrictEqual(JSON.parse(row.result));
    });
  }

  it('row 1: the subscriber list alone would have shown a, so the order of the stages matters', () => {
    expect(compileSelect('+/a').project({ a: 1, b: 2 })).toStrictEqual({ a: 1, b: 2 });
  });

  it('row 3: the entitlement list alone gives b and c.c2', () => {
    const message = JSON.parse(AMPS_TABLE[2]!.message) as Record<string, unknown>;
    expect(compileSelect('-/,+/b,+/c/c2').project(message)).toStrictEqual({ b: 2, c: { c2: 2 } });
  });
});
