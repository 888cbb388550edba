// Filter expressions for the differential test: a hand-written list that covers every supported
// operator and function (with type mismatches, missing fields and nulls), and a seeded generator of
// random expressions over the same subset.
import { mulberry32, pick } from '../../helpers/prng.js';

const ORDERINGS = ['<', '<=', '>', '>='] as const;

function orderingCases(): string[] {
  const cases: string[] = [];
  for (const op of ORDERINGS) {
    cases.push(
      `px ${op} 100`,
      `100 ${op} px`,
      `qty ${op} px`,
      `sym ${op} "GBP"`,
      `desk.region ${op} "EU"`,
      `px ${op} "100"`,
      `missing ${op} 1`,
      `missing ${op} true`,
      `px ${op} missing`,
      `items.qty ${op} 1`,
      `items[0].qty ${op} 1`,
      `tags ${op} "a"`,
      `flag ${op} true`,
      `score ${op} 0.3`,
      `qty ${op} -1`,
      `n ${op} 1`,
      `sym ${op} sym`,
      `desk.name ${op} "ldn"`,
    );
  }
  return cases;
}

export const HAND_WRITTEN: readonly string[] = [
  // paths on their own: delivered only when the field is exactly true
  'flag',
  'px',
  'desk.region',
  'items.qty',
  'tags',
  '`flag`',
  'nested.a.b.c',
  'matrix[0]',
  // only own properties are fields
  '$exists(constructor)',
  '$exists(toString)',
  '$exists(__proto__)',
  '__proto__ = 1',
  'constructor = "c"',
  '$exists(desk.hasOwnProperty)',
  '$exists(tags.length)',
  'tags.length = 1',
  '$exists(sym.length)',
  // = and !=
  'px = 100',
  'px != 100',
  'px = 101',
  'px = "101"',
  'desk.region = "EU"',
  'desk.region != "EU"',
  '"EU" = desk.region',
  'flag = true',
  'flag = false',
  'flag != true',
  'n = null',
  'n != null',
  'desk = null',
  'px = null',
  'tags = ["a"]',
  'tags = ["a", "b"]',
  'tags = "a"',
  'tags[0] = "a"',
  'tags[-1] = "b"',
  'tags[1] = "b"',
  'tags[5] = "a"',
  'items.qty = 5',
  'items.qty = [1, 2]',
  'items.qty = [1, 2, 3]',
  'items.qty != 5',
  'items[0].qty = 5',
  'items[-1].qty = 7',
  'items[1] = items[1]',
  'desk = desk',
  'items = items',
  'missing = missing',
  'missing != 1',
  'nested.a = nested.a',
  'nested.a.b.c = 1',
  'nested.a.b.c = [1, 2]',
  'nested.a.b.c != "c"',
  'nested.a.b = []',
  'nested.a[0].b.c = 1',
  'score = 0.3',
  'score = 0.1 + 0.2',
  'desk.region = ["EU"]',
  'matrix[0][1] = 2',
  'matrix[1][0] = 2',
  'matrix[0] = [1, 2]',
  'matrix[1][1] = [3]',
  'matrix[-1][-1] = 3',
  'matrix = [[1, 2], [3]]',
  'items.qty[0] = 1',
  'items[0].qty[0] = 1',
  'px[0] = 101',
  'px[-1] = 101',
  'px[1] = 2',
  'px[0.7] = 101',
  'empty = []',
  'empty = ""',
  'desk.region = desk.region',
  // < <= > >=
  ...orderingCases(),
  // in
  'sym in ["EURUSD", "GBPUSD"]',
  'px in [100, 101, "101"]',
  '"a" in tags',
  '"EU" in desk.region',
  'desk.region in ["EU", "US"]',
  'tags in ["a"]',
  'missing in [1]',
  'px in []',
  'null in [null]',
  'n in [null, 1]',
  'flag in [true]',
  'px in px',
  'sym in ["A", "B", "C", "D", "E", "F", "G", "H", "EURUSD", "GBPUSD"]',
  'px in [1, 2, 3, 4, 5, 6, 7, 8, 9, 100, 101, 0/0]',
  'qty in items.qty',
  '1 in matrix[0]',
  'items.qty in [1]',
  'px in ([100, 101])',
  '"a" in [["a"], "b"]',
  'tags in tags',
  // and / or, with $boolean casting of operands and short-circuiting of errors
  'px > 100 and desk.region = "EU"',
  'px > 100 or desk.region = "EU"',
  'flag and px',
  'flag or sym',
  'sym and tags',
  'px and qty',
  '(px > 1) or (sym < 1)',
  '(sym < 1) or true',
  'true or (sym < 1)',
  'false and (sym < 1)',
  'missing and true',
  'missing or true',
  'items or false',
  'desk and true',
  'matrix and true',
  'score or false',
  'tags and true',
  'empty or false',
  'nested.a.b.c and true',
  'n or flag',
  '(qty / 0) and true',
  'items.qty and true',
  'nested.a.b.c or false',
  // $exists, $not, $boolean
  '$exists(px)',
  '$exists(desk.region)',
  '$exists(items.qty)',
  '$exists(n)',
  '$exists(missing)',
  '$exists(items[5])',
  '$not($exists(px))',
  '$not(flag)',
  '$not(px)',
  '$not(tags)',
  '$not(missing)',
  '$not(px > 100)',
  '$not(items)',
  '$boolean(px)',
  '$boolean(sym)',
  '$boolean(tags)',
  '$boolean(items)',
  '$boolean(desk)',
  '$boolean(matrix)',
  '$boolean(empty)',
  '$boolean(n)',
  '$boolean(qty / 0)',
  '$boolean(items.qty)',
  '$boolean(nested.a.b.c)',
  '$boolean(score)',
  // $contains with a substring
  '$contains(sym, "USD")',
  '$contains(sym, "")',
  '$contains(desk.name, "ldn")',
  '$contains(sym, desk.region)',
  '$contains(px, "1")',
  '$contains(sym, px)',
  '$contains(missing, "a")',
  '$contains(sym, missing)',
  '$contains(tags, "a")',
  '$contains(desk.name, "東")',
  // $contains with a regex (run on RE2, compared with JavaScript's RegExp in jsonata)
  '$contains(sym, /^EUR/)',
  '$contains(sym, /usd$/i)',
  '$contains(desk.name, /^ldn-\\d+$/i)',
  '$contains(sym, /\\s/)',
  '$contains(sym, /\\S+\\s\\S+/)',
  '$contains(sym, /[^a-z]/)',
  '$contains(sym, /(EUR|GBP)USD/)',
  '$contains(sym, /x.y/)',
  '$contains(sym, /^$/)',
  '$contains(sym, /\\bUSD/)',
  '$contains(desk.name, /ü/i)',
  '$contains(sym, /\\x41|\\u00c9/)',
  '$contains(desk.name, /[\\s\\d]/)',
  '$contains(sym, /a{2,}/)',
  '$contains(sym, /^[A-Z]{6}$/)',
  '$contains(sym, /^y/m)',
  '$contains(sym, /line1.line2/)',
  '$contains(sym, /(?:EUR){2}/)',
  '$contains(px, /1/)',
  '$contains(sym, /[.]/)',
  '$contains(desk.name, /\\W/)',
  '$contains(sym, /\\//)',
  '$contains(sym, /^\\S*$/)',
  // literal patterns, which skip RE2 when they run
  '$contains(sym, /USD$/)',
  '$contains(sym, /^EURUSD$/)',
  '$contains(sym, /US/)',
  '$contains(sym, /^x y$/)',
  '$contains(desk.name, /^ldn\\-/)',
  '$contains(sym, /\\$/)',
  '$contains(sym, /^$/)',
  '$contains(sym, /^/)',
  // $length, $lowercase, $uppercase, $string
  '$length(sym) = 6',
  '$length(sym) > 3',
  '$length(desk.name) = 5',
  '$length(px) = 3',
  '$length(missing) = 0',
  '$length(tags) = 1',
  '$length(sym) = $length(desk.name)',
  '$lowercase(sym) = "eurusd"',
  '$uppercase(desk.region) = "EU"',
  '$lowercase(desk.name) = "zürich"',
  '$uppercase(px) = "1"',
  '$lowercase(missing) = "a"',
  '$uppercase(sym) = $uppercase(desk.region & "USD")',
  '$string(px) = "101"',
  '$string(score) = "0.3"',
  '$string(tags) = "[\\"a\\"]"',
  '$string(desk) = "{\\"region\\":\\"EU\\"}"',
  '$string(flag) = "true"',
  '$string(n) = "null"',
  '$string(missing) = ""',
  '$string(items.qty) = "[1,2,3]"',
  '$string(px) = "1e+21"',
  '$string(score) = "123456789.123457"',
  '$string(qty / 0) = "x"',
  '$exists($string(missing))',
  // arithmetic
  'px + 1 > 101',
  'px - qty = 0',
  'px * 2 >= 200',
  'px / 2 = 50',
  'px % 2 = 1',
  'qty / 0 > 1',
  '-px < -100',
  '-sym = 1',
  'px + missing = 1',
  '$exists(px + missing)',
  'px + "1" = 2',
  '(0/0) = (0/0)',
  'px * qty > 1000',
  'score * 3 = 0.9',
  'items[0].qty * px >= 1000',
  '-(px) = -101',
  '- -px = 101',
  '$exists(px % 0)',
  '(qty / 0) + 1 > 0',
  'qty % 2 = -1',
  'items.qty + 1 = 2',
  'px - -1 = 102',
  '-missing = 1',
  '$exists(-missing)',
  'n + 1 = 1',
  'flag + 1 = 2',
  // string concatenation
  'sym & "!" = "EURUSD!"',
  'px & "" = "101"',
  'missing & "x" = "x"',
  'tags & "" = "[\\"a\\"]"',
  'score & "" = "0.3"',
  'desk & "" = "{}"',
  'n & flag = "nulltrue"',
  '(qty / 0) & "" = "x"',
  'missing & missing = ""',
  'items.qty & "" = "[1,2,3]"',
  'matrix & "" = "[[1,2],[3]]"',
  'px & qty = "1015"',
  // conditional and parentheses
  'flag ? px > 100 : sym = "EURUSD"',
  'px ? true : false',
  'missing ? true',
  'desk.region = "EU" ? true : false',
  '(sym < 1) ? true : true',
  'flag ? "yes" : true',
  'tags ? $exists(tags[1]) : false',
  '(qty / 0) ? true : true',
  '(px > 100)',
  '((px) > (100))',
  '(px > 100) and ((desk.region = "EU") or flag)',
  // constants
  'true',
  'false',
  '1 = 1',
  '"a" < "b"',
  '[1, 2] = [1, 2]',
  '[1, [2]] = [1, [2]]',
  '[[1, 2]] = [1, 2]',
  '[([1, 2])] = [1, 2]',
  'null = null',
  '-(1) = -1',
  '60 * 60 = 3600',
  'true and px > 100',
  // errors inside constants surface only when reached
  'px = 1 or $boolean([1, 1/0])',
  'px = 1 or $not([0, 1/0])',
  'px > 1 and $string([1/0]) = ""',
  'tags = [0, 1/0]',
  '$boolean(tags)',
  'tags & "" = "[0,null]"',
  '$string(px) = "Infinity"',
  'px + 0 = px',
];

// Random expressions: small trees over the supported subset, seeded so any failure reproduces.
const PATHS = [
  'px',
  'qty',
  'score',
  'sym',
  'desk.region',
  'desk.name',
  'desk',
  'tags',
  'tags[0]',
  'tags[-1]',
  'items',
  'items.qty',
  'items[0].qty',
  'items[-1].name',
  'flag',
  'n',
  'missing',
  'nested.a.b.c',
  'nested.a',
  'matrix',
  'matrix[0][1]',
  'empty',
];
const LITERALS = ['0', '1', '-1', '100', '101', '0.3', '""', '"EU"', '"EURUSD"', '"a"', 'true', 'false', 'null'];
const REGEXES = ['/^EU/', '/USD$/', '/ab/', '/usd$/i', '/\\d/', '/[aeiou]{2}/', '/^$/', '/\\s/', '/(a|b)c?/'];
const VALUE_OPERATORS = ['+', '-', '*', '/', '%', '&'];
const BOOLEAN_OPERATORS = ['=', '!=', '<', '<=', '>', '>='];

export function generateExpressions(seed: number, count: number): string[] {
  const random = mulberry32(seed);
  const expressions: string[] = [];
  for (let i = 0; i < count; i++) expressions.push(booleanExpression(random, 3));
  return expressions;
}

function valueExpression(random: () => number, depth: number): string {
  const choice = depth <= 0 ? random() * 0.6 : random();
  if (choice < 0.35) return pick(random, PATHS);
  if (choice < 0.6) return pick(random, LITERALS);
  if (choice < 0.75)
    return `(${valueExpression(random, depth - 1)} ${pick(random, VALUE_OPERATORS)} ${valueExpression(random, depth - 1)})`;
  if (choice < 0.85)
    return `$${pick(random, ['length', 'lowercase', 'uppercase', 'string'])}(${valueExpression(random, depth - 1)})`;
  if (choice < 0.9) return `-(${valueExpression(random, depth - 1)})`;
  return booleanExpression(random, depth - 1);
}

function booleanExpression(random: () => number, depth: number): string {
  const choice = depth <= 0 ? random() * 0.5 : random();
  if (choice < 0.3)
    return `${valueExpression(random, depth - 1)} ${pick(random, BOOLEAN_OPERATORS)} ${valueExpression(random, depth - 1)}`;
  if (choice < 0.38)
    return `${valueExpression(random, depth - 1)} in [${pick(random, LITERALS)}, ${pick(random, LITERALS)}]`;
  if (choice < 0.44) return `$exists(${valueExpression(random, depth - 1)})`;
  if (choice < 0.5) {
    const token = random() < 0.5 ? pick(random, REGEXES) : valueExpression(random, depth - 1);
    return `$contains(${valueExpression(random, depth - 1)}, ${token})`;
  }
  if (choice < 0.6) return `$not(${valueExpression(random, depth - 1)})`;
  if (choice < 0.65) return `$boolean(${valueExpression(random, depth - 1)})`;
  if (choice < 0.85)
    return `(${booleanExpression(random, depth - 1)}) ${pick(random, ['and', 'or'])} (${valueExpression(random, depth - 1)})`;
  if (choice < 0.95)
    return `${valueExpression(random, depth - 1)} ? ${booleanExpression(random, depth - 1)} : ${valueExpression(random, depth - 1)}`;
  return pick(random, PATHS);
}
