// Differential test: every compiled filter must agree with jsonata's own evaluate() on every document
// of a seeded corpus. The rule compared is the delivery rule: delivered iff the expression evaluates
// to exactly `true`; where evaluate() throws (a type error such as `"abc" > 1`), expected is false.
import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { compileFilter, FilterError } from '../../../server/content/filter/index.js';
import { generateCorpus } from './corpus.js';
import { generateExpressions, HAND_WRITTEN } from './expressions.js';

const CORPUS = generateCorpus(20240611, 300);

/** What jsonata says about one document: delivered iff exactly true; thrown means not delivered. */
let jsonataThrew = 0;

async function jsonataDelivers(expression: jsonata.Expression, document: unknown): Promise<boolean> {
  try {
    return (await expression.evaluate(document)) === true;
  } catch {
    jsonataThrew++;
    return false;
  }
}

interface Disagreement {
  expression: string;
  document: string;
  compiled: boolean;
  jsonata: boolean;
}

async function disagreements(
  expressions: readonly string[],
): Promise<{ found: Disagreement[]; delivered: number; compared: number }> {
  const found: Disagreement[] = [];
  let delivered = 0;
  let compared = 0;
  for (const source of expressions) {
    const filter = compileFilter(source);
    const reference = jsonata(source);
    for (const document of CORPUS) {
      const expected = await jsonataDelivers(reference, document);
      const actual = filter.test(document);
      compared++;
      if (expected) delivered++;
      if (actual !== expected)
        found.push({ expression: source, document: JSON.stringify(document), compiled: actual, jsonata: expected });
    }
  }
  return { found, delivered, compared };
}

describe('compiled filters agree with jsonata evaluate()', () => {
  it(`on ${HAND_WRITTEN.length} hand-written expressions covering every operator and function`, async () => {
    const { found, delivered, compared } = await disagreements(HAND_WRITTEN);
    expect(found.length, JSON.stringify(found.slice(0, 5), null, 1)).toBe(0);
    // The corpus must make filters go all three ways, or agreement would prove little.
    expect(delivered).toBeGreaterThan(compared * 0.05);
    expect(delivered).toBeLessThan(compared * 0.8);
    expect(jsonataThrew).toBeGreaterThan(compared * 0.05);
  }, 120_000);

  it('on random expressions over the same subset', async () => {
    const generated = generateExpressions(99, 400);
    const compilable: string[] = [];
    for (const source of generated) {
      try {
        compileFilter(source);
        compilable.push(source);
      } catch (err) {
        // Only a root that folds to a constant error/non-boolean may be refused; jsonata must agree
        // that such a filter never delivers.
        expect(err).toBeInstanceOf(FilterError);
        expect((err as FilterError).construct).toBe('non-boolean result');
        for (const document of CORPUS) expect(await jsonataDelivers(jsonata(source), document)).toBe(false);
      }
    }
    expect(compilable.length).toBeGreaterThan(350);
    const { found, delivered } = await disagreements(compilable);
    expect(found.length, JSON.stringify(found.slice(0, 5), null, 1)).toBe(0);
    expect(delivered).toBeGreaterThan(0);
  }, 120_000);

  it('covers each operator and function in the hand-written list', () => {
    const constructs = [
      '=',
      '!=',
      '<',
      '<=',
      '>',
      '>=',
      ' and ',
      ' or ',
      ' in ',
      '+',
      ' - ',
      '*',
      '/',
      '%',
      '&',
      ' ? ',
      '$exists(',
      '$not(',
      '$boolean(',
      '$contains(',
      '$length(',
      '$lowercase(',
      '$uppercase(',
      '$string(',
      '[0]',
      '[-1]',
      '/i)',
      '/m)',
    ];
    for (const construct of constructs)
      expect(
        HAND_WRITTEN.some((source) => source.includes(construct)),
        construct,
      ).toBe(true);
  });
});
