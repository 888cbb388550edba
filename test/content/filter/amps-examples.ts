// AMPS-syntax filters for the differential test, each with the JSONata-syntax filter it is
// documented to mean (docs/filters.md, "The AMPS syntax"), and the messages to run them on.
//
// The examples are the content-filter examples of the AMPS User Guide (60East Technologies, AMPS
// 5.3.4, read at docs.crankuptheamps.com), section by section, as the guide writes them, except:
// XML attribute steps (`/FIXML/Order/@Px`) are written as field steps (`/FIXML/Order/Px`), as a
// JSON message has no attributes; and examples that use a function (INSTR, STREQUAL_I) or a
// backreference are in amps-rejection.test.ts, as they are refused. Where the guide states what
// AMPS answers on a message, `amps` says it and `warden` what Warden answers; they differ only
// where docs/filters.md ("Differences from AMPS") says so.

export interface GuideExample {
  /** The guide's section ("AMPS User Guide, AMPS Expressions › ..."), or the issue for ours. */
  readonly source: string;
  readonly amps: string;
  readonly jsonata: string;
  /** What the guide says AMPS answers on a message, and what Warden answers. */
  readonly stated?: readonly { readonly message: unknown; readonly amps: boolean; readonly warden: boolean }[];
}

const EXPRESSIONS = 'AMPS User Guide, AMPS Expressions';
const OVERVIEW = EXPRESSIONS;
const STRINGS = 'AMPS User Guide, AMPS Functions › String Comparison Functions';
const COMPARISON = `${EXPRESSIONS} › Comparison Operators`;
const REGEX = `${EXPRESSIONS} › Regular Expressions`;
const ARRAYS = `${EXPRESSIONS} › Working with Arrays`;
const IDENTIFIERS = `${EXPRESSIONS} › Identifiers`;
const ISSUE = 'issue 19, "The AMPS filter syntax" (not from the guide)';

/** The guide's document for "Working with Arrays". */
const ARRAY_DOCUMENT = { data: [1, 2, 3, 'zebra', 5], other: [14, 34, 23, 5] };
const GYRO = { name: 'Gyro', job: 'kitten' };

export const GUIDE_EXAMPLES: readonly GuideExample[] = [
  {
    source: OVERVIEW,
    amps: "/name = 'Gyro'",
    jsonata: 'name = "Gyro"',
    stated: [{ message: GYRO, amps: true, warden: true }],
  },
  { source: STRINGS, amps: "/status = 'available'", jsonata: 'status = "available"' },
  { source: STRINGS, amps: "/orderId = 'F327AC'", jsonata: 'orderId = "F327AC"' },
  {
    source: STRINGS,
    amps: "/Department BEGINS WITH ('Engineering')",
    jsonata: '$contains(Department, /^Engineering/)',
  },
  {
    source: STRINGS,
    amps: "/path NOT BEGINS WITH ('/public/dropbox')",
    jsonata: '$not($contains(path, /^\\/public\\/dropbox/))',
  },
  { source: STRINGS, amps: "/filename ENDS WITH ('txt')", jsonata: '$contains(filename, /txt$/)' },
  {
    source: STRINGS,
    amps: "/price NOT ENDS WITH ('99')",
    jsonata: '$not($contains(price, /99$/))',
    // AMPS reads the number as text; Warden never converts a number to a string.
    stated: [{ message: { price: 199 }, amps: false, warden: false }],
  },
  {
    source: STRINGS,
    amps: "/Department BEGINS WITH ('Engineering', 'Research', 'Technical')",
    jsonata:
      '$contains(Department, /^Engineering/) or $contains(Department, /^Research/) or $contains(Department, /^Technical/)',
  },
  {
    source: STRINGS,
    amps: "/filename ENDS WITH ('gif', 'png', 'jpg')",
    jsonata: '$contains(filename, /gif$/) or $contains(filename, /png$/) or $contains(filename, /jpg$/)',
  },
  {
    source: COMPARISON,
    amps: '/FIXML/Order/OrdQty/Qty BETWEEN 0 AND 10000',
    jsonata: 'FIXML.Order.OrdQty.Qty >= 0 and FIXML.Order.OrdQty.Qty <= 10000',
    stated: [
      { message: { FIXML: { Order: { OrdQty: { Qty: 500 } } } }, amps: true, warden: true },
      // AMPS converts a numeric string; Warden compares strings with strings only.
      { message: { FIXML: { Order: { OrdQty: { Qty: '500' } } } }, amps: true, warden: false },
    ],
  },
  {
    source: COMPARISON,
    amps: '/FIXML/Order/Px NOT BETWEEN 90.0 AND 90.5',
    jsonata: 'FIXML.Order.Px < 90.0 or FIXML.Order.Px > 90.5',
    stated: [
      { message: { FIXML: { Order: { Px: 91 } } }, amps: true, warden: true },
      { message: { FIXML: { Order: { Px: 90.25 } } }, amps: false, warden: false },
      // A missing field is NULL in AMPS: NOT BETWEEN is then unknown, never TRUE.
      { message: { FIXML: { Order: {} } }, amps: false, warden: false },
    ],
  },
  {
    source: COMPARISON,
    amps: '(/price * /qty) BETWEEN 0 AND 100000',
    jsonata: '(price * qty) >= 0 and (price * qty) <= 100000',
    stated: [{ message: { price: 10, qty: 2000 }, amps: true, warden: true }],
  },
  {
    source: COMPARISON,
    amps: "/Trade/OwnerID NOT IN ('JMB', 'BLH', 'CJB')",
    jsonata: '$exists(Trade.OwnerID) and $not(Trade.OwnerID in ["JMB", "BLH", "CJB"])',
    stated: [
      { message: { Trade: { OwnerID: 'XYZ' } }, amps: true, warden: true },
      { message: { Trade: { OwnerID: 'JMB' } }, amps: false, warden: false },
      // "NULL values in either the field being evaluated, or the set of values ... always" fail IN.
      { message: { Trade: {} }, amps: false, warden: false },
    ],
  },
  {
    source: COMPARISON,
    amps: '/21964 IN (/14*5, /6*/14, 1000, 2000)',
    jsonata: '`21964` = `14` * 5 or `21964` = `6` * `14` or `21964` = 1000 or `21964` = 2000',
    stated: [
      { message: { 21964: 70, 14: 14 }, amps: true, warden: true },
      { message: { 21964: 1000 }, amps: true, warden: true },
    ],
  },
  {
    source: COMPARISON,
    amps: "/customer IN ('Bob', 'Phil', 'Brent')",
    jsonata: 'customer in ["Bob", "Phil", "Brent"]',
    stated: [
      { message: { customer: 'Phil' }, amps: true, warden: true },
      // IN is case-sensitive in AMPS too.
      { message: { customer: 'phil' }, amps: false, warden: false },
    ],
  },
  // The guide's type-comparison table, with the literals as fields of a message.
  {
    source: COMPARISON,
    amps: '/a < /b',
    jsonata: 'a < b',
    stated: [
      { message: { a: 1, b: 2 }, amps: true, warden: true },
      { message: { a: 10, b: '2' }, amps: false, warden: false },
      { message: { a: 10, b: 'Crank It Up' }, amps: true, warden: false },
      { message: { a: 10, b: '' }, amps: false, warden: false },
    ],
  },
  {
    source: COMPARISON,
    amps: '/a <> /b',
    jsonata: 'a != b',
    stated: [{ message: { a: '2.000', b: '2.0' }, amps: true, warden: true }],
  },
  {
    source: COMPARISON,
    amps: '/a = /b',
    jsonata: 'a = b',
    stated: [
      { message: { a: 2, b: 2.0 }, amps: true, warden: true },
      // An empty string is NULL in AMPS.
      { message: { a: '', b: '' }, amps: false, warden: true },
    ],
  },
  {
    source: COMPARISON,
    amps: '/a IS NULL',
    jsonata: '$not($exists(a)) or a = null',
    stated: [
      { message: { a: '' }, amps: true, warden: false },
      { message: { a: null }, amps: true, warden: true },
      { message: {}, amps: true, warden: true },
    ],
  },
  {
    source: REGEX,
    amps: '(/FIXML/Order/Instrmt/Sym LIKE "^IB.?$") AND\n(/FIXML/Order/Px LIKE "^90\\..*" AND /FIXML/Order/Px < 91.0)',
    jsonata:
      '($contains(FIXML.Order.Instrmt.Sym, /^IB.?$/)) and ($contains(FIXML.Order.Px, /^90\\..*/) and FIXML.Order.Px < 91.0)',
    stated: [
      // LIKE reads a number as text in AMPS; in Warden a price is a number or a string, never both.
      { message: { FIXML: { Order: { Px: 90.25, Instrmt: { Sym: 'IBM' } } } }, amps: true, warden: false },
      { message: { FIXML: { Order: { Px: '90.25', Instrmt: { Sym: 'IBM' } } } }, amps: true, warden: false },
    ],
  },
  {
    source: REGEX,
    amps: '(/client/country LIKE "(?i)^us$")',
    jsonata: '($contains(client.country, /^us$/i))',
    stated: [
      { message: { client: { country: 'US' } }, amps: true, warden: true },
      { message: { client: { country: 'us' } }, amps: true, warden: true },
    ],
  },
  {
    source: REGEX,
    amps: '(/55 LIKE "TRADE$")',
    jsonata: '($contains(`55`, /TRADE$/))',
    stated: [{ message: { 55: 'BIG TRADE' }, amps: true, warden: true }],
  },
  {
    source: ARRAYS,
    amps: '/data = 1',
    jsonata: 'data = 1',
    // AMPS compares each element; Warden compares the array as a whole (JSONata's rule).
    stated: [{ message: ARRAY_DOCUMENT, amps: true, warden: false }],
  },
  {
    source: ARRAYS,
    amps: "/data = 'zebra'",
    jsonata: 'data = "zebra"',
    stated: [{ message: ARRAY_DOCUMENT, amps: true, warden: false }],
  },
  {
    source: ARRAYS,
    amps: "/data != 'zebra'",
    jsonata: 'data != "zebra"',
    stated: [{ message: ARRAY_DOCUMENT, amps: true, warden: true }],
  },
  {
    source: ARRAYS,
    amps: '/data = 42',
    jsonata: 'data = 42',
    stated: [{ message: ARRAY_DOCUMENT, amps: false, warden: false }],
  },
  {
    source: ARRAYS,
    amps: "/data LIKE 'z'",
    jsonata: '$contains(data, /z/)',
    stated: [{ message: ARRAY_DOCUMENT, amps: true, warden: false }],
  },
  {
    source: ARRAYS,
    amps: '/other > 30',
    jsonata: 'other > 30',
    stated: [{ message: ARRAY_DOCUMENT, amps: true, warden: false }],
  },
  {
    source: ARRAYS,
    amps: '/other > 50',
    jsonata: 'other > 50',
    stated: [{ message: ARRAY_DOCUMENT, amps: false, warden: false }],
  },
  {
    source: ARRAYS,
    amps: '/data[0] = 1',
    jsonata: 'data[0] = 1',
    stated: [{ message: ARRAY_DOCUMENT, amps: true, warden: true }],
  },
  {
    source: ARRAYS,
    amps: '/data[3] = "zebra"',
    jsonata: 'data[3] = "zebra"',
    stated: [{ message: ARRAY_DOCUMENT, amps: true, warden: true }],
  },
  {
    source: ARRAYS,
    amps: '/data[1] != 1',
    jsonata: 'data[1] != 1',
    stated: [{ message: ARRAY_DOCUMENT, amps: true, warden: true }],
  },
  {
    source: ARRAYS,
    amps: "/other[1] LIKE '4'",
    jsonata: '$contains(other[1], /4/)',
    stated: [{ message: ARRAY_DOCUMENT, amps: true, warden: false }],
  },
  {
    source: ARRAYS,
    amps: '/data = /other',
    jsonata: 'data = other',
    stated: [{ message: ARRAY_DOCUMENT, amps: true, warden: false }],
  },
  { source: IDENTIFIERS, amps: "/Order/Symbol = 'IBM'", jsonata: 'Order.Symbol = "IBM"' },
  { source: IDENTIFIERS, amps: "/55 = 'IBM'", jsonata: '`55` = "IBM"' },
  {
    source: IDENTIFIERS,
    amps: "[/Not Xpath Name] = 'v'",
    jsonata: '`Not Xpath Name` = "v"',
    stated: [{ message: { 'Not Xpath Name': 'v' }, amps: true, warden: true }],
  },
  { source: ISSUE, amps: "/region = 'EU' AND /qty > 10", jsonata: 'region = "EU" and qty > 10' },
  { source: ISSUE, amps: "/sym LIKE '^EUR'", jsonata: '$contains(sym, /^EUR/)' },
  { source: ISSUE, amps: "/side IN ('B','S')", jsonata: 'side in ["B", "S"]' },
  { source: ISSUE, amps: '/px BETWEEN 10 AND 20', jsonata: 'px >= 10 and px <= 20' },
  { source: ISSUE, amps: '/note IS NULL', jsonata: '$not($exists(note)) or note = null' },
  { source: ISSUE, amps: '/note IS NOT NULL', jsonata: '$exists(note) and note != null' },
  {
    source: ISSUE,
    amps: "not (/region = 'EU' or /qty > 10)",
    jsonata: 'region != "EU" and $not(qty > 10)',
    stated: [
      { message: { region: 'US', qty: 5 }, amps: true, warden: true },
      // Unknown OR FALSE is unknown, and so is its NOT.
      { message: { qty: 5 }, amps: false, warden: false },
    ],
  },
];

/**
 * The messages every pair runs on, beside the seeded corpus: the fields the examples read, present,
 * missing, null, empty, numbers written as strings, arrays, and bodies that are not objects.
 */
export const MESSAGES: readonly unknown[] = [
  { region: 'EU', qty: 11, sym: 'EURUSD', side: 'B', px: 15, note: null },
  { region: 'EU', qty: '11', sym: 'EURGBP', side: 'S', px: '15', note: 'x' },
  { region: 'US', qty: 5, sym: 'USDJPY', side: 'X', px: 25, note: '' },
  { region: null, qty: null, sym: null, side: null, px: null },
  { region: ['EU'], qty: [11], sym: ['EURUSD'], side: ['B'], px: [15], note: [] },
  { region: 'EU', qty: 10, px: 10 },
  { region: 'EU', qty: 10.5, px: 20, sym: 'eurusd' },
  {},
  GYRO,
  { name: 'gyro' },
  { status: 'available', orderId: 'F327AC' },
  { status: 'Available', orderId: 'f327ac' },
  { Department: 'Engineering Ops', path: '/public/dropbox/x', filename: 'a.txt', price: 199 },
  { Department: 'Sales', path: '/private', filename: 'a.png', price: '1.99' },
  { Department: null, path: '', filename: 'txt', price: '199' },
  { FIXML: { Order: { Px: 90.25, OrdQty: { Qty: 500 }, Instrmt: { Sym: 'IBM' } } } },
  { FIXML: { Order: { Px: '90.25', OrdQty: { Qty: '500' }, Instrmt: { Sym: 'IB' } } } },
  { FIXML: { Order: { Px: 91, OrdQty: { Qty: -1 }, Instrmt: { Sym: 'IBMX' } } } },
  { FIXML: { Order: { Px: 90, OrdQty: { Qty: 10000 }, Instrmt: { Sym: 'ib' } } } },
  { FIXML: { Order: [{ Px: 90 }, { Px: 95 }] } },
  { FIXML: null },
  { price: 10, qty: 2000 },
  { price: '10', qty: 2 },
  { price: 1000, qty: 1000 },
  { Trade: { OwnerID: 'JMB' } },
  { Trade: { OwnerID: 'XYZ' } },
  { Trade: { OwnerID: null } },
  { Trade: {} },
  { 21964: 70, 14: 14, 6: 5 },
  { 21964: 1000 },
  { 21964: '1000' },
  { customer: 'Phil' },
  { customer: 'phil' },
  { client: { country: 'us' } },
  { client: { country: 'USA' } },
  { 55: 'BIG TRADE' },
  { 55: 'TRADE x' },
  { 55: 'IBM' },
  ARRAY_DOCUMENT,
  { data: [], other: [] },
  { data: 1, other: 1 },
  { Order: { Symbol: 'IBM' } },
  { Order: { Symbol: ['IBM'] } },
  { 'Not Xpath Name': 'v' },
  { a: 1, b: 2 },
  { a: 10, b: '2' },
  { a: 10, b: 'Crank It Up' },
  { a: 10, b: '' },
  { a: '2.000', b: '2.0' },
  { a: 2, b: 2.0 },
  { a: '', b: '' },
  { a: null, b: null },
  { a: [1], b: [1] },
  null,
  42,
  'plain',
  [],
  [{ region: 'EU', qty: 11 }],
];
