// Differential test of the AMPS syntax: each AMPS-syntax filter must compile, and agree on every
// message with the JSONata-syntax filter docs/filters.md says it means, compiled, and with
// jsonata's own evaluate() of that filter. The filters are the AMPS User Guide's examples
// (amps-examples.ts, which names each one's section) and seeded random combinations of every
// mapped predicate under AND, OR and NOT (amps-expressions.ts). Where the guide states AMPS's
// answer, the test checks Warden's, and that they differ only where the docs say they do.
import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { compileFilterWithSyntax, type CompiledFilter } from '../../../server/content/filter/index.js';
import { GUIDE_EXAMPLES, MESSAGES } from './amps-examples.js';
import { generateAmpsPairs } from './amps-expressions.js';
import { generateCorpus } from './corpus.js';

const DOCUMENTS: readonly unknown[] = [...MESSAGES, ...generateCorpus(20260501, 200)];

async function jsonataDelivers(expression: jsonata.Expression, document: unknown): Promise<boolean> {
  try {
    return (await expression.evaluate(document)) === true;
  } catch {
    return false;
  }
}

interface Disagreement {
  readonly amps: string;
  readonly document: string;
  readonly ampsSyntax: boolean;
  readonly jsonataSyntax: boolean;
  readonly jsonataEvaluate: boolean;
}

async function disagreements(pairs: readonly { amps: string; jsonata: string }[]): Promise<{
  found: Disagreement[];
  delivered: number;
  compared: number;
}> {
  const found: Disagreement[] = [];
  let delivered = 0;
  let compared = 0;
  for (const pair of pairs) {
    const amps: CompiledFilter = compileFilterWithSyntax(pair.amps, 'amps');
    const native: CompiledFilter = compileFilterWithSyntax(pair.jsonata, 'jsonata');
    const reference = jsonata(pair.jsonata);
    for (const document of DOCUMENTS) {
      const ampsSyntax = amps.test(document);
      const jsonataSyntax = native.test(document);
      const jsonataEvaluate = await jsonataDelivers(reference, document);
      compared++;
      if (ampsSyntax) delivered++;
      if (ampsSyntax !== jsonataSyntax || ampsSyntax !== jsonataEvaluate) {
        found.push({ amps: pair.amps, document: JSON.stringify(document), ampsSyntax, jsonataSyntax, jsonataEvaluate });
      }
    }
  }
  return { found, delivered, compared };
}

describe('the AMPS User Guide examples, in both syntaxes', () => {
  it(`compile and agree on ${DOCUMENTS.length} messages (${GUIDE_EXAMPLES.length} examples)`, async () => {
    const { found, delivered, compared } = await disagreements(GUIDE_EXAMPLES);
    expect(found, JSON.stringify(found.slice(0, 5), null, 1)).toEqual([]);
    // The messages must make the examples go both ways, or agreement would prove little.
    expect(delivered).toBeGreaterThan(GUIDE_EXAMPLES.length);
    expect(delivered).toBeLessThan(compared / 2);
  }, 60_000);

  it.each(GUIDE_EXAMPLES.filter((e) => e.stated !== undefined).map((e) => [`${e.amps} (${e.source})`, e] as const))(
    'answers %s as stated, differing from AMPS only where documented',
    (_name, example) => {
      const filter = compileFilterWithSyntax(example.amps, 'amps');
      for (const { message, warden } of example.stated!) {
        expect(filter.test(message), JSON.stringify(message)).toBe(warden);
      }
    },
  );

  it('differs from AMPS on the stated messages only in the documented ways', () => {
    // Every difference is one of: a number read as text or text as a number (AMPS converts), an
    // empty string (NULL in AMPS), an array compared element by element (AMPS).
    const differences = GUIDE_EXAMPLES.flatMap((e) =>
      (e.stated ?? []).filter((s) => s.amps !== s.warden).map((s) => `${e.amps} on ${JSON.stringify(s.message)}`),
    );
    expect(differences).toEqual([
      '/FIXML/Order/OrdQty/Qty BETWEEN 0 AND 10000 on {"FIXML":{"Order":{"OrdQty":{"Qty":"500"}}}}',
      '/a < /b on {"a":10,"b":"Crank It Up"}',
      '/a = /b on {"a":"","b":""}',
      '/a IS NULL on {"a":""}',
      '(/FIXML/Order/Instrmt/Sym LIKE "^IB.?$") AND\n(/FIXML/Order/Px LIKE "^90\\..*" AND /FIXML/Order/Px < 91.0) on {"FIXML":{"Order":{"Px":90.25,"Instrmt":{"Sym":"IBM"}}}}',
      '(/FIXML/Order/Instrmt/Sym LIKE "^IB.?$") AND\n(/FIXML/Order/Px LIKE "^90\\..*" AND /FIXML/Order/Px < 91.0) on {"FIXML":{"Order":{"Px":"90.25","Instrmt":{"Sym":"IBM"}}}}',
      '/data = 1 on {"data":[1,2,3,"zebra",5],"other":[14,34,23,5]}',
      '/data = \'zebra\' on {"data":[1,2,3,"zebra",5],"other":[14,34,23,5]}',
      '/data LIKE \'z\' on {"data":[1,2,3,"zebra",5],"other":[14,34,23,5]}',
      '/other > 30 on {"data":[1,2,3,"zebra",5],"other":[14,34,23,5]}',
      '/other[1] LIKE \'4\' on {"data":[1,2,3,"zebra",5],"other":[14,34,23,5]}',
      '/data = /other on {"data":[1,2,3,"zebra",5],"other":[14,34,23,5]}',
    ]);
  });
});

describe('random AMPS filters, in both syntaxes', () => {
  it('agree with their JSONata-syntax meaning and with jsonata evaluate()', async () => {
    const pairs = generateAmpsPairs(7, 300);
    const { found, delivered, compared } = await disagreements(pairs);
    expect(found, JSON.stringify(found.slice(0, 5), null, 1)).toEqual([]);
    expect(delivered).toBeGreaterThan(compared * 0.05);
    expect(delivered).toBeLessThan(compared * 0.8);
  }, 120_000);

  it('cover every mapped construct, negated and not, with keywords in any case', () => {
    const keywords = generateAmpsPairs(7, 300)
      .map((p) => p.amps)
      .join('\n');
    expect(keywords).toMatch(/ and | or | not | like | in \(/);
    const text = generateAmpsPairs(7, 300)
      .map((p) => p.amps.toUpperCase())
      .join('\n');
    for (const construct of [
      ' = ',
      ' <> ',
      ' != ',
      ' < ',
      ' <= ',
      ' > ',
      ' >= ',
      ' IN (',
      ' NOT IN (',
      ' BETWEEN ',
      ' NOT BETWEEN ',
      ' LIKE ',
      ' NOT LIKE ',
      ' BEGINS WITH ',
      ' NOT ENDS WITH ',
      ' IS NULL',
      ' IS NOT NULL',
      ' AND ',
      ' OR ',
      'NOT (',
      ' + ',
      ' * ',
      '[0]',
    ])
      expect(text.includes(construct), construct).toBe(true);
  });
});
