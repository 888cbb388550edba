// Seeded random AMPS-syntax filters, each with the JSONata-syntax filter docs/filters.md ("The AMPS
// syntax") says it means: written here from the documented table, string by string, so the test
// checks the parser's mapping against the documentation rather than against itself. NOT is
// rendered as the docs say it is applied: pushed down to the predicates (De Morgan), each
// predicate in its negative form.
import { mulberry32, pick } from '../../helpers/prng.js';

export interface AmpsPair {
  readonly amps: string;
  readonly jsonata: string;
}

/** A condition: its AMPS text, and its JSONata meaning, positive or negated. */
interface Generated {
  readonly amps: string;
  render(negated: boolean): string;
}

/** [AMPS path, JSONata path] over the fields of the corpus and of amps-examples.ts's messages. */
const FIELDS: readonly (readonly [string, string])[] = [
  ['/px', 'px'],
  ['/qty', 'qty'],
  ['/sym', 'sym'],
  ['/region', 'region'],
  ['/side', 'side'],
  ['/note', 'note'],
  ['/desk/region', 'desk.region'],
  ['/desk/name', 'desk.name'],
  ['/items[0]/qty', 'items[0].qty'],
  ['/tags', 'tags'],
  ['/n', 'n'],
  ['/flag', 'flag'],
  ['/score', 'score'],
  ['/missing', 'missing'],
];
const NUMBERS = [0, 1, 5, 10, 11, 100, 101, -1, 2.5, 0.3];
const STRINGS = ['EU', 'US', 'EURUSD', 'B', 'S', '', 'a', 'ldn-1', '5', '101'];
const ORDERINGS = ['<', '<=', '>', '>='] as const;
/** [LIKE pattern, JSONata regex literal]. */
const PATTERNS: readonly (readonly [string, string])[] = [
  ['^EU', '/^EU/'],
  ['USD$', '/USD$/'],
  ['a', '/a/'],
  ['^$', '/^$/'],
  ['(?i)^eu', '/^eu/i'],
  ['E.R', '/E.R/'],
  ['^ldn-[0-9]+$', '/^ldn-[0-9]+$/'],
  ['\\s', '/\\s/'],
];
/** [BEGINS/ENDS WITH string, its escaped regex text]. */
const AFFIXES: readonly (readonly [string, string])[] = [
  ['EU', 'EU'],
  ['US', 'US'],
  ['ldn-', 'ldn\\-'],
  ['USD', 'USD'],
  ['a.b', 'a\\.b'],
];

export function generateAmpsPairs(seed: number, count: number): AmpsPair[] {
  const random = mulberry32(seed);
  const pairs: AmpsPair[] = [];
  while (pairs.length < count) {
    const generated = condition(random, 3);
    pairs.push({ amps: generated.amps, jsonata: generated.render(false) });
  }
  return pairs;
}

/** Keywords in upper case mostly, sometimes lower or mixed: AMPS keywords are case-insensitive. */
function keyword(random: () => number, word: string): string {
  const r = random();
  if (r < 0.75) return word;
  if (r < 0.9) return word.toLowerCase();
  return word.charAt(0) + word.slice(1).toLowerCase();
}

function condition(random: () => number, depth: number): Generated {
  const r = random();
  if (depth === 0 || r < 0.45) return predicate(random);
  const lhs = condition(random, depth - 1);
  if (r < 0.6) {
    return {
      amps: `${keyword(random, 'NOT')} (${lhs.amps})`,
      render: (negated) => `(${lhs.render(!negated)})`,
    };
  }
  const rhs = condition(random, depth - 1);
  const and = r < 0.8;
  const word = keyword(random, and ? 'AND' : 'OR');
  return {
    amps: `(${lhs.amps}) ${word} (${rhs.amps})`,
    // De Morgan: NOT (a AND b) is NOT a OR NOT b.
    render: (negated) => `(${lhs.render(negated)}) ${and !== negated ? 'and' : 'or'} (${rhs.render(negated)})`,
  };
}

function predicate(random: () => number): Generated {
  const [ampsField, field] = pick(random, FIELDS);
  switch (Math.floor(random() * 9)) {
    case 0:
    case 1:
      return comparison(random, ampsField, field);
    case 2: {
      const items = [value(random), value(random)];
      const notIn = random() < 0.4;
      const list = `[${items.map((v) => v.jsonata).join(', ')}]`;
      return {
        amps: `${ampsField} ${notIn ? `${keyword(random, 'NOT')} ` : ''}${keyword(random, 'IN')} (${items.map((v) => v.amps).join(', ')})`,
        render: (negated) =>
          negated !== notIn ? `($exists(${field}) and $not(${field} in ${list}))` : `${field} in ${list}`,
      };
    }
    case 3: {
      const [low, high] =
        random() < 0.7
          ? [pick(random, NUMBERS), pick(random, NUMBERS)].sort((x, y) => x - y).map((n) => literal(String(n)))
          : [literal(`'${pick(random, ['A', 'E'])}'`), literal(`'${pick(random, ['F', 'Z'])}'`)];
      const not = random() < 0.4;
      return {
        amps: `${ampsField} ${not ? `${keyword(random, 'NOT')} ` : ''}${keyword(random, 'BETWEEN')} ${low!.amps} ${keyword(random, 'AND')} ${high!.amps}`,
        render: (negated) =>
          negated !== not
            ? `(${field} < ${low!.jsonata} or ${field} > ${high!.jsonata})`
            : `(${field} >= ${low!.jsonata} and ${field} <= ${high!.jsonata})`,
      };
    }
    case 4: {
      const [pattern, regex] = pick(random, PATTERNS);
      const not = random() < 0.4;
      return {
        amps: `${ampsField} ${not ? `${keyword(random, 'NOT')} ` : ''}${keyword(random, 'LIKE')} '${pattern}'`,
        render: (negated) =>
          negated !== not ? `$not($contains(${field}, ${regex}))` : `$contains(${field}, ${regex})`,
      };
    }
    case 5: {
      const begins = random() < 0.5;
      const affixes = [pick(random, AFFIXES), pick(random, AFFIXES)];
      const not = random() < 0.4;
      const regexes = affixes.map(([, escaped]) => (begins ? `/^${escaped}/` : `/${escaped}$/`));
      const word = `${keyword(random, begins ? 'BEGINS' : 'ENDS')} ${keyword(random, 'WITH')}`;
      return {
        amps: `${ampsField} ${not ? `${keyword(random, 'NOT')} ` : ''}${word} (${affixes.map(([s]) => `'${s}'`).join(', ')})`,
        render: (negated) =>
          negated !== not
            ? `(${regexes.map((r) => `$not($contains(${field}, ${r}))`).join(' and ')})`
            : `(${regexes.map((r) => `$contains(${field}, ${r})`).join(' or ')})`,
      };
    }
    case 6: {
      const isNot = random() < 0.5;
      return {
        amps: `${ampsField} ${keyword(random, 'IS')} ${isNot ? `${keyword(random, 'NOT')} ` : ''}${keyword(random, 'NULL')}`,
        render: (negated) =>
          negated !== isNot
            ? `($exists(${field}) and ${field} != null)`
            : `($not($exists(${field})) or ${field} = null)`,
      };
    }
    case 7: {
      // Arithmetic on one side.
      const operator = pick(random, ['+', '*', '-', '%'] as const);
      const operand = pick(random, [1, 2, 10]);
      const ordering = pick(random, ['=', ...ORDERINGS] as const);
      const bound = pick(random, NUMBERS);
      const expression = `${field} ${operator} ${operand} ${ordering} ${bound}`;
      return {
        amps: `${ampsField} ${operator} ${operand} ${ordering} ${bound}`,
        render: (negated) => {
          if (!negated) return expression;
          if (ordering === '=') return `${field} ${operator} ${operand} != ${bound}`;
          return `$not(${expression})`;
        },
      };
    }
    default:
      // A bare field as a condition: delivered when exactly true; its NOT is $not.
      return { amps: ampsField, render: (negated) => (negated ? `$not(${field})` : field) };
  }
}

function comparison(random: () => number, ampsField: string, field: string): Generated {
  const operator = pick(random, ['=', '==', '!=', '<>', ...ORDERINGS] as const);
  const [otherAmps, otherJsonata] = pick(random, FIELDS);
  const other = random() < 0.2 ? { amps: otherAmps, jsonata: otherJsonata } : value(random);
  const equality = operator === '=' || operator === '==' ? '=' : operator === '!=' || operator === '<>' ? '!=' : null;
  const positive = `${field} ${equality ?? operator} ${other.jsonata}`;
  return {
    amps: `${ampsField} ${operator} ${other.amps}`,
    render: (negated) => {
      if (!negated) return positive;
      if (equality === '=') return `${field} != ${other.jsonata}`;
      if (equality === '!=') return `${field} = ${other.jsonata}`;
      return `$not(${positive})`;
    },
  };
}

interface Literal {
  readonly amps: string;
  readonly jsonata: string;
}

/** A number as is, a string from AMPS's single quotes to JSONata's double quotes. */
function literal(amps: string): Literal {
  return { amps, jsonata: amps.startsWith("'") ? `"${amps.slice(1, -1)}"` : amps };
}

function value(random: () => number): Literal {
  const r = random();
  if (r < 0.5) {
    const n = pick(random, NUMBERS);
    return { amps: String(n), jsonata: String(n) };
  }
  if (r < 0.9) {
    const s = pick(random, STRINGS);
    return random() < 0.5 ? { amps: `'${s}'`, jsonata: `"${s}"` } : { amps: `"${s}"`, jsonata: `"${s}"` };
  }
  return random() < 0.5 ? { amps: 'TRUE', jsonata: 'true' } : { amps: 'false', jsonata: 'false' };
}
