// AMPS-syntax filters through a real broker and the SDK (docs/filters.md, "The AMPS syntax"): a
// policy grant with `filterSyntax: amps` filters what its reader receives, a subscription names
// its own filter's syntax, and `content.filterSyntax` makes AMPS the broker's default for both.
import { afterEach, describe, expect, it } from 'vitest';
import { WardenError, type Client, type Encoding } from '../../client/index.js';
import { Fixture } from '../client/helpers.js';
import type { TestBroker, TestBrokerOverrides } from '../helpers/broker.js';
import { Collector } from '../helpers/collector.js';

const fx = new Fixture();
afterEach(() => fx.teardown());

/** `analyst` reads trades/# through an AMPS-syntax grant filter; `feed` writes; `reader` reads everything. */
function policyWith(grant: Record<string, unknown>): TestBrokerOverrides['security'] {
  const policy = {
    groups: {
      analysts: { users: ['analyst'], grants: [{ actions: ['read'], topics: ['trades/#'], ...grant }] },
      feeds: { users: ['feed'], grants: [{ actions: ['write'], topics: ['#'] }] },
      readers: { users: ['reader'], grants: [{ actions: ['read'], topics: ['#'] }] },
    },
  };
  return { entitlement: { module: 'policy', options: { policy } } };
}

const logOn = (tb: TestBroker, user: string, encoding: Encoding = 'msgpack'): Promise<Client> =>
  fx.client(tb.url, { user, password: 'pw', encoding, reconnect: false });

const TRADES = [
  { id: 1, region: 'EU', qty: 11, side: 'B' },
  { id: 2, region: 'EU', qty: 10, side: 'S' },
  { id: 3, region: 'US', qty: 50, side: 'B' },
  { id: 4, region: 'EU', qty: '11', side: 'B' }, // a number as a string: no conversion, as in the JSONata syntax
  { id: 5, region: 'EU', side: 'S' }, // no qty
  { id: 6, region: 'EU', qty: 12, side: 'X', note: null },
];
/** Matches every filter below, published last: once it arrives, everything before it has been decided. */
const LAST = { id: 7, region: 'EU', qty: 99, side: 'S' };

async function publishAll(tb: TestBroker): Promise<void> {
  const feed = await logOn(tb, 'feed');
  for (const trade of [...TRADES, LAST]) await feed.publish('trades/fx', trade, { ack: true });
}

async function idsReceived(client: Client, spec: Parameters<Client['subscribe']>[0], tb: TestBroker) {
  const got = new Collector<number>();
  await client.subscribe(spec, (m) => got.push((m.json() as { id: number }).id));
  await publishAll(tb);
  await got.until((ids) => ids.includes(LAST.id));
  return [...got.items];
}

describe('a policy grant with filterSyntax: amps', () => {
  it('filters what its reader receives, missing fields and strings never matching', async () => {
    const tb = await fx.broker({
      security: policyWith({ filter: "/region = 'EU' AND /qty > 10", filterSyntax: 'amps' }),
    });
    const analyst = await logOn(tb, 'analyst');
    expect(await idsReceived(analyst, { topic: 'trades/#' }, tb)).toEqual([1, 6, 7]);
    expect(tb.broker.stats().deliveriesFiltered).toBe(4);
  });

  it('pushes NOT down to the comparisons, so a message without the field is not delivered', async () => {
    const tb = await fx.broker({
      security: policyWith({ filter: "NOT (/qty <= 10 OR /side IN ('X'))", filterSyntax: 'amps' }),
    });
    const analyst = await logOn(tb, 'analyst');
    // 4 (qty a string) and 5 (no qty) are unknown in AMPS, and not delivered either.
    expect(await idsReceived(analyst, { topic: 'trades/#' }, tb)).toEqual([1, 3, 7]);
  });
});

describe.each<Encoding>(['msgpack', 'json'])('a subscription with filterSyntax: amps, over %s', (encoding) => {
  it('receives what the AMPS filter matches, as the same filter in JSONata does', async () => {
    const tb = await fx.broker({ security: policyWith({}) });
    const reader = await logOn(tb, 'reader', encoding);
    const amps = await idsReceived(
      reader,
      { topic: 'trades/#', filter: "/qty BETWEEN 11 AND 50 AND /side NOT IN ('S') OR /id = 7", filterSyntax: 'amps' },
      tb,
    );
    expect(amps).toEqual([1, 3, 6, 7]);
    const other = await logOn(tb, 'reader', encoding);
    const jsonata = await idsReceived(
      other,
      {
        topic: 'trades/#',
        filter: 'qty >= 11 and qty <= 50 and $exists(side) and $not(side in ["S"]) or id = 7',
      },
      tb,
    );
    // The second subscriber sees the second round only; the ids are the same.
    expect(jsonata).toEqual([1, 3, 6, 7]);
  });

  it('is refused with INVALID_FILTER naming the construct, and an unknown syntax with INVALID_FIELD', async () => {
    const tb = await fx.broker({ security: policyWith({}) });
    const reader = await logOn(tb, 'reader', encoding);
    const refused = await reader
      .subscribe({ topic: 'trades/#', filter: "UPPER(/region) = 'EU'", filterSyntax: 'amps' })
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(WardenError);
    expect((refused as WardenError).code).toBe('INVALID_FILTER');
    expect((refused as WardenError).message).toMatch(
      /^unsupported construct in filter: function UPPER\(\.\.\.\) \(position 1\)/,
    );
    const unknown = await reader
      .subscribe({ topic: 'trades/#', filter: 'qty > 1', filterSyntax: 'sql' as never })
      .catch((err: unknown) => err);
    expect((unknown as WardenError).code).toBe('INVALID_FIELD');
    expect((unknown as WardenError).message).toBe('"filterSyntax" must be jsonata or amps');
  });
});

describe('content.filterSyntax: amps', () => {
  it("reads subscribers' and grants' filters without a filterSyntax as AMPS, and lets either say jsonata", async () => {
    const tb = await fx.broker({
      content: { filterSyntax: 'amps' },
      security: policyWith({ filter: "/region = 'EU'" }),
    });
    const analyst = await logOn(tb, 'analyst');
    expect(await idsReceived(analyst, { topic: 'trades/#', filter: '/qty > 10' }, tb)).toEqual([1, 6, 7]);
    const reader = await logOn(tb, 'reader');
    expect(
      await idsReceived(reader, { topic: 'trades/#', filter: 'side = "B" or id = 7', filterSyntax: 'jsonata' }, tb),
    ).toEqual([1, 3, 4, 7]);
  });
});
