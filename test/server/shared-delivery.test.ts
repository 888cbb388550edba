// A message's frame is built once for every receiver with the same subscription ids and the same
// body (Message.frame, SharedFrame); receivers that differ in ids, encoding, filters or select
// lists must each still get exactly their own delivery. Real SDK clients on a real broker.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type Client, type Encoding } from '../../client/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { Collector } from '../helpers/collector.js';

interface Got {
  readonly ids: readonly number[];
  readonly data: unknown;
}

let tb: TestBroker;
const clients: Client[] = [];

beforeEach(async () => {
  tb = await startTestBroker();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await tb.close();
});

/** What one subscriber client subscribes to `t`, in order (the SDK numbers its sids from 0). */
type Spec = { other?: true; filter?: string; select?: string };

interface Receiver {
  readonly name: string;
  readonly got: Got[];
  readonly end: Collector<unknown>;
}

async function receiver(name: string, encoding: Encoding, specs: readonly Spec[]): Promise<Receiver> {
  const client = await connect(tb.url, { user: name, password: 'pw', encoding, reconnect: false });
  clients.push(client);
  const got: Got[] = [];
  for (const spec of specs) {
    if (spec.other === true) {
      await client.subscribe({ topic: 'other' }, () => got.push({ ids: [-1], data: null }));
      continue;
    }
    const { filter, select } = spec;
    // One entry per frame: a frame naming two sids calls both handlers with the same message.
    await client.subscribe({ topic: 't', ...(filter && { filter }), ...(select && { select }) }, (m) => {
      const last = got.at(-1);
      if (last === undefined || last.data !== m.data) got.push({ ids: m.subscriptionIds, data: m.data });
    });
  }
  const end = new Collector<unknown>();
  await client.subscribe({ topic: 'end' }, (m) => end.push(m.data));
  return { name, got, end };
}

const MESSAGES = [
  { n: 1, px: 10, secret: 'a' },
  { n: 2, px: 20, secret: 'b' },
  { n: 3, px: 30, secret: 'c' },
];
const noSecret = ({ secret: _, ...rest }: (typeof MESSAGES)[number]) => rest;

describe.each<Encoding>(['msgpack', 'json'])('a fan-out published over %s', (publishEncoding) => {
  it('gives each receiver exactly its own deliveries while equal ones share a frame', async () => {
    const plain = await Promise.all([0, 1, 2, 3].map((i) => receiver(`plain${i}`, i === 3 ? 'json' : 'msgpack', [{}])));
    const sid2 = await receiver('sid2', 'msgpack', [{ other: true }, {}]);
    const selected = await receiver('selected', 'msgpack', [{ select: '-/secret' }]);
    const filtered = await receiver('filtered', 'msgpack', [{ filter: 'px > 15' }]);
    const twoSids = await receiver('twoSids', 'msgpack', [{}, { filter: 'px > 15' }]);
    const twoBodies = await receiver('twoBodies', 'json', [{}, { select: '-/secret' }]);
    const all = [...plain, sid2, selected, filtered, twoSids, twoBodies];

    const publisher = await connect(tb.url, {
      user: 'publisher',
      password: 'pw',
      encoding: publishEncoding,
      reconnect: false,
    });
    clients.push(publisher);
    for (const m of MESSAGES) await publisher.publish('t', m, { ack: true });
    // Each connection's deliveries arrive in order: once `end` is in, so is everything before it.
    await publisher.publish('end', 'end', { ack: true });
    await Promise.all(all.map((r) => r.end.count(1)));

    const each = MESSAGES.map((data) => ({ ids: [0], data }));
    for (const r of plain) expect(r.got, r.name).toEqual(each);
    expect(sid2.got).toEqual(MESSAGES.map((data) => ({ ids: [1], data })));
    expect(selected.got).toEqual(MESSAGES.map((m) => ({ ids: [0], data: noSecret(m) })));
    expect(filtered.got).toEqual(MESSAGES.filter((m) => m.px > 15).map((data) => ({ ids: [0], data })));
    expect(twoSids.got).toEqual(MESSAGES.map((data) => ({ ids: data.px > 15 ? [0, 1] : [0], data })));
    expect(twoBodies.got).toEqual(
      MESSAGES.flatMap((m) => [
        { ids: [0], data: m },
        { ids: [1], data: noSecret(m) },
      ]),
    );
    expect(tb.broker.stats().deliveryErrors).toBe(0);
  });
});
