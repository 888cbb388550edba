// The delivery rule and the documented edge cases of the filter semantics (docs/filters.md), each
// checked against jsonata's evaluate() too, except where the docs say the two differ.
import jsonata from 'jsonata';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compileFilter } from '../../../server/content/filter/index.js';

async function jsonataDelivers(expression: string, document: unknown): Promise<boolean> {
  try {
    return (await jsonata(expression).evaluate(document)) === true;
  } catch {
    return false;
  }
}

async function expectDelivery(expression: string, document: unknown, delivered: boolean): Promise<void> {
  expect(compileFilter(expression).test(document), `${expression} on ${JSON.stringify(document)}`).toBe(delivered);
  expect(await jsonataDelivers(expression, document), `jsonata: ${expression}`).toBe(delivered);
}

describe('CompiledFilter', () => {
  it('is a frozen object holding the source and a synchronous test()', () => {
    const filter = compileFilter('px > 100 and desk.region = "EU"');
    expect(Object.isFrozen(filter)).toBe(true);
    expect(filter.source).toBe('px > 100 and desk.region = "EU"');
    expect(filter.test({ px: 101, desk: { region: 'EU' } })).toBe(true);
    expect(filter.test({ px: 100, desk: { region: 'EU' } })).toBe(false);
  });

  it('delivers only when the result is exactly true, not merely truthy', async () => {
    await expectDelivery('flag', { flag: true }, true);
    for (const flag of ['true', 1, [true], { a: 1 }, 'yes']) await expectDelivery('flag', { flag }, false);
    // $boolean is how to ask for truthiness.
    await expectDelivery('$boolean(flag)', { flag: 'yes' }, true);
  });
});

describe('missing fields, null and types', () => {
  it('a comparison with a missing field is not true, nor is its negation', async () => {
    await expectDelivery('px > 100', {}, false);
    await expectDelivery('$not(px > 100)', {}, false);
    await expectDelivery('px = 100', {}, false);
    await expectDelivery('px != 100', {}, false);
    await expectDelivery('px in [100]', {}, false);
    // ...but the missing side counts as false inside and/or.
    await expectDelivery('px > 100 or true', {}, true);
  });

  it('null is a value: it equals null and is not missing', async () => {
    await expectDelivery('px = null', { px: null }, true);
    await expectDelivery('$exists(px)', { px: null }, true);
    await expectDelivery('px != 1', { px: null }, true);
  });

  it('types never coerce: "101" is not 101, and ordering them is an error (not delivered)', async () => {
    await expectDelivery('px = 101', { px: '101' }, false);
    await expectDelivery('px > 100', { px: '101' }, false);
    await expectDelivery('px > 100 or true', { px: '101' }, false);
    await expectDelivery('true or px > 100', { px: '101' }, true);
  });

  it('an array field is compared as a whole, and over arrays of objects a path maps', async () => {
    await expectDelivery('tags = ["a", "b"]', { tags: ['a', 'b'] }, true);
    await expectDelivery('"b" in tags', { tags: ['a', 'b'] }, true);
    await expectDelivery('items.qty = 5', { items: [{ qty: 5 }] }, true);
    await expectDelivery('items.qty = [5, 6]', { items: [{ qty: 5 }, { qty: 6 }] }, true);
    await expectDelivery('items.qty > 1', { items: [{ qty: 5 }, { qty: 6 }] }, false);
    await expectDelivery('items[1].qty = 6', { items: [{ qty: 5 }, { qty: 6 }] }, true);
    await expectDelivery('items[-1].qty = 6', { items: [{ qty: 5 }, { qty: 6 }] }, true);
  });

  it('only own properties are fields', async () => {
    await expectDelivery('$exists(constructor)', {}, false);
    await expectDelivery('$exists(toString)', { a: 1 }, false);
    await expectDelivery('$exists(tags.length)', { tags: ['a'] }, false);
  });

  it('never throws for any decoded document, whatever its types', () => {
    const filters = [
      'px * 2 > $length(sym) and $contains(sym, /^EU/) or -px < 0',
      '$string(px) = "1" or px & sym = "1"',
      'px = sym or px in [1] or $boolean(px) or $lowercase(sym) = "a"',
    ].map(compileFilter);
    const documents = [
      undefined,
      null,
      0,
      'x',
      [],
      [[]],
      { px: {} },
      { px: Infinity, sym: 1 },
      { px: [1, 2] },
      { px: 10n, sym: [1n] },
      { px: new Uint8Array(2) },
    ];
    for (const filter of filters) {
      for (const document of documents) expect(() => filter.test(document)).not.toThrow();
    }
  });
});

describe('regex literals run on RE2 with JavaScript meanings', () => {
  afterEach(() => vi.restoreAllMocks());

  it('never use JavaScript RegExp when testing a message', () => {
    const filter = compileFilter('$contains(sym, /^EU/) or $contains(sym, /usd$/i) or $contains(desk, /\\s/)');
    const exec = vi.spyOn(RegExp.prototype, 'exec');
    const test = vi.spyOn(RegExp.prototype, 'test');
    expect(filter.test({ sym: 'EURUSD' })).toBe(true);
    expect(filter.test({ sym: 'gbpusd' })).toBe(true);
    expect(filter.test({ sym: 'x', desk: 'a b' })).toBe(true);
    expect(filter.test({ sym: 'x', desk: 'ab' })).toBe(false);
    expect(exec).not.toHaveBeenCalled();
    expect(test).not.toHaveBeenCalled();
  });

  it('translate ., \\s, \\S, \\u and \\0 to what JavaScript means by them', async () => {
    await expectDelivery('$contains(s, /^a.b$/)', { s: 'a\rb' }, false);
    await expectDelivery('$contains(s, /^a.b$/)', { s: 'a\u2028b' }, false);
    await expectDelivery('$contains(s, /^a.b$/)', { s: 'a-b' }, true);
    for (const space of ['\u00a0', '\u3000', '\ufeff', '\v', '\u2029']) {
      await expectDelivery('$contains(s, /a\\sb/)', { s: `a${space}b` }, true);
      await expectDelivery('$contains(s, /a[\\s,]b/)', { s: `a${space}b` }, true);
      await expectDelivery('$contains(s, /a\\Sb/)', { s: `a${space}b` }, false);
    }
    await expectDelivery('$contains(s, /\\u00e9/)', { s: 'café' }, true);
    await expectDelivery('$contains(s, /a\\0b/)', { s: 'a\0b' }, true);
    await expectDelivery('$contains(s, /^b/m)', { s: 'a\nb' }, true);
  });

  it('differ from JavaScript only where docs/filters.md says so', async () => {
    const differs = async (expression: string, document: unknown, re2: boolean): Promise<void> => {
      expect(compileFilter(expression).test(document)).toBe(re2);
      expect(await jsonataDelivers(expression, document)).toBe(!re2);
    };
    // Characters outside the BMP are one character to RE2, two UTF-16 units to JavaScript.
    await differs('$contains(s, /^.$/)', { s: '😀' }, true);
    // With i, RE2 applies Unicode case folding: ſ folds to s, the Kelvin sign to k.
    await differs('$contains(s, /s/i)', { s: 'ſ' }, true);
    await differs('$contains(s, /k/i)', { s: '\u212a' }, true);
    // With m, only \n ends a line for ^ and $ in RE2; JavaScript also ends lines at \r, U+2028, U+2029.
    await differs('$contains(s, /^b/m)', { s: 'a\rb' }, false);
  });
});

describe('constant folding', () => {
  it('builds constant arrays and sub-expressions once', async () => {
    await expectDelivery('x in [1, [2], ([3, 4])]', { x: 4 }, true);
    await expectDelivery('x = 60 * 60', { x: 3600 }, true);
    await expectDelivery('x in ["A", "B", "C", "D", "E", "F", "G", "H", "I"]', { x: 'I' }, true);
  });
});
