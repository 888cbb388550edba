// Content-filtered entitlements and select lists on the delivery path, through real connections,
// on the example configuration config/examples/content.yaml (AMPS User Guide, Securing AMPS:
// "Content Filtered Entitlements" and "Entitlement Select Lists").
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, WardenError, type Client, type Encoding } from '../../client/index.js';
import { loadConfigFile } from '../../server/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { Collector } from '../helpers/collector.js';
import { moduleDir } from '../helpers/module-files.js';

const EXAMPLES = join(import.meta.dirname, '../../config/examples');
const content = loadConfigFile(join(EXAMPLES, 'content.yaml'));
const PASSWORDS: Record<string, string> = {
  feed: 'feed-pw',
  analyst: 'analyst-pw',
  auditor: 'auditor-pw',
  admin: 'admin-secret',
};

let tb: TestBroker;
let dir: string;
const clients: Client[] = [];

beforeEach(async () => {
  // A private copy of the policy, so a test can change it and reset.
  dir = mkdtempSync(join(tmpdir(), 'warden-content-'));
  copyFileSync(join(EXAMPLES, 'content-policy.yaml'), join(dir, 'content-policy.yaml'));
  tb = await startTestBroker({ security: content.security, baseDir: dir });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await tb.close();
  rmSync(dir, { recursive: true, force: true });
});

async function as(user: string, encoding: Encoding = 'msgpack', reconnect = false): Promise<Client> {
  const c = await connect(tb.url, { user, password: PASSWORDS[user]!, encoding, reconnect });
  clients.push(c);
  return c;
}

const codeOf = (err: unknown): string | undefined => (err instanceof WardenError ? err.code : undefined);

const trades = [
  { sym: 'AAA', px: 10, qty: 5, region: 'EU' },
  { sym: 'BBB', px: 20, qty: 6, region: 'US' },
  { sym: 'CCC', px: 30, qty: 7, region: 'EU', desk: { name: 'rates' } },
];

describe.each<Encoding>(['msgpack', 'json'])('content rules over %s', (encoding) => {
  it('applies the entitlement filter before the select list, and leaves other readers untouched', async () => {
    const analyst = await as('analyst', encoding);
    const auditor = await as('auditor', encoding);
    const seenByAnalyst = new Collector<unknown>();
    const seenByAuditor = new Collector<unknown>();
    await analyst.subscribe({ topic: 'trades/#' }, (m) => seenByAnalyst.push(m.data));
    await auditor.subscribe({ topic: 'trades/#' }, (m) => seenByAuditor.push(m.data));
    const feed = await as('feed');
    for (const t of trades) await feed.publish('trades/x', t, { ack: true });
    await seenByAuditor.count(3);
    await seenByAnalyst.count(2);
    // region (filtered on) and qty are not visible to the analyst; the auditor sees everything.
    expect(seenByAnalyst.items).toEqual([
      { sym: 'AAA', px: 10 },
      { sym: 'CCC', px: 30 },
    ]);
    expect(seenByAuditor.items).toEqual(trades);
    expect(tb.broker.stats().deliveriesFiltered).toBe(1);
  });

  it("combines the entitlement rules with the subscriber's own filter and select list", async () => {
    const analyst = await as('analyst', encoding);
    const got = new Collector<unknown>();
    await analyst.subscribe({ topic: 'trades/+', filter: 'px > 15', select: '-/px' }, (m) => got.push(m.data));
    const feed = await as('feed');
    for (const t of trades) await feed.publish('trades/y', t, { ack: true });
    await feed.publish('trades/y', { sym: 'END', px: 99, region: 'EU' }, { ack: true });
    await got.count(2);
    expect(got.items).toEqual([{ sym: 'CCC' }, { sym: 'END' }]);
  });
});

describe('write filters', () => {
  it('refuses a publish that does not match the write filter and delivers it to no one', async () => {
    const auditor = await as('auditor');
    const got = new Collector<unknown>();
    await auditor.subscribe({ topic: 'trades/#' }, (m) => got.push(m.data));
    const feed = await as('feed');
    const refused = await feed.publish('trades/z', { sym: 'BAD', px: 0 }, { ack: true }).catch((e: unknown) => e);
    expect(codeOf(refused)).toBe('CONTENT_NOT_ENTITLED');
    expect(codeOf(await feed.publish('trades/z', 'not an object', { ack: true }).catch((e: unknown) => e))).toBe(
      'CONTENT_NOT_ENTITLED',
    );
    await feed.publish('trades/z', { sym: 'OK', px: 1 }, { ack: true });
    await got.count(1);
    expect(got.items).toEqual([{ sym: 'OK', px: 1 }]);
    expect(tb.broker.stats().publishesFiltered).toBe(2);
  });
});

describe('the hot path', () => {
  it('parses a payload only when some receiver has a rule, and projects and encodes once per distinct projection', async () => {
    const auditor = await as('auditor');
    const plain = new Collector<unknown>();
    await auditor.subscribe({ topic: 'trades/#' }, (m) => plain.push(m.data));
    const admin = await as('admin');
    await admin.publish('trades/plain', { sym: 'P', px: 1, region: 'EU' }, { ack: true });
    await plain.count(1);
    expect(tb.broker.stats().payloadsParsed).toBe(0);

    const analysts = await Promise.all(Array.from({ length: 30 }, () => as('analyst')));
    const got = analysts.map(() => new Collector<unknown>());
    await Promise.all(analysts.map((a, k) => a.subscribe({ topic: 'trades/#' }, (m) => got[k]!.push(m.data))));
    await admin.publish('trades/shared', { sym: 'S', px: 2, region: 'EU', secret: 1 }, { ack: true });
    await Promise.all(got.map((c) => c.count(1)));
    for (const c of got) expect(c.items).toEqual([{ sym: 'S', px: 2 }]);
    expect(tb.broker.stats().payloadsParsed).toBe(1);
    expect(tb.broker.stats().projectionsEncoded).toBe(1);
  });

  it('does not deliver a non-object payload where a filter or select list applies (fail closed), and counts it', async () => {
    const analyst = await as('analyst');
    const auditor = await as('auditor');
    const a = new Collector<unknown>();
    const b = new Collector<unknown>();
    await analyst.subscribe({ topic: 'trades/#' }, (m) => a.push(m.data));
    await auditor.subscribe({ topic: 'trades/#' }, (m) => b.push(m.data));
    const admin = await as('admin');
    await admin.publish('trades/odd', [1, 2, 3], { ack: true });
    await admin.publish('trades/odd', new Uint8Array([1, 2]), { ack: true });
    await admin.publish('trades/odd', { sym: 'E', px: 1, region: 'EU' }, { ack: true });
    await a.count(1);
    await b.count(3);
    expect(a.items).toEqual([{ sym: 'E', px: 1 }]);
    expect(tb.broker.stats().deliveriesNotFilterable).toBe(2);
  });
});

describe('subscriber rules', () => {
  it('refuses a filter outside the supported subset and a malformed select list with specific codes', async () => {
    const auditor = await as('auditor');
    const badFilter = await auditor.subscribe({ topic: 'trades/#', filter: '$sum(px) > 1' }).catch((e: unknown) => e);
    expect(codeOf(badFilter)).toBe('INVALID_FILTER');
    expect((badFilter as Error).message).toMatch(/\$sum/);
    const badSelect = await auditor.subscribe({ topic: 'trades/#', select: '*/a' }).catch((e: unknown) => e);
    expect(codeOf(badSelect)).toBe('INVALID_SELECT');
    expect((badSelect as Error).message).toMatch(/"\+\/" or "-\/"/);
  });
});

describe('entitlement reset', () => {
  it('applies a changed policy after a reset: the analyst reconnects under the new filter', async () => {
    const analyst = await as('analyst', 'msgpack', true);
    const got = new Collector<unknown>();
    await analyst.subscribe({ topic: 'trades/#' }, (m) => got.push(m.data));
    const feed = await as('feed');
    await feed.publish('trades/r', { sym: 'EU1', px: 1, region: 'EU' }, { ack: true });
    await got.count(1);

    const policy = join(dir, 'content-policy.yaml');
    writeFileSync(policy, readFileSync(policy, 'utf8').replace(`filter: 'region = "EU"'`, `filter: 'region = "US"'`));
    const reconnected = new Promise<void>((resolve) =>
      analyst.on('connected', (info) => info.reconnected && resolve()),
    );
    await tb.broker.admin.resetEntitlements('analyst');
    await reconnected;
    await feed.publish('trades/r', { sym: 'EU2', px: 2, region: 'EU' }, { ack: true });
    await feed.publish('trades/r', { sym: 'US1', px: 3, region: 'US' }, { ack: true });
    await got.count(2);
    expect(got.items).toEqual([
      { sym: 'EU1', px: 1 },
      { sym: 'US1', px: 3 },
    ]);
  });
});

describe('the AMPS select-list table through the broker', () => {
  const modules = moduleDir();
  afterAll(() => modules.remove());
  // An entitlement module that answers reads with the select list named in the topic's last level.
  const selecting = modules.write(
    'selecting.mjs',
    `export default () => ({ name: 'selecting', check: ({ action, resource }) =>
      action === 'read' ? { allow: true, select: decodeURIComponent(resource.split('/').pop()) } : { allow: true } })`,
  );

  it.each([
    [{ a: 1, b: 2 }, '-/a', '+/a', { b: 2 }],
    [{ a: 1, b: 2 }, '-/,+/b', undefined, { b: 2 }],
    [{ a: 1, b: 2, c: { c1: 1, c2: 2 } }, '-/,+/b,+/c/c2', '-/,+/c/c1,+/c/c2', { c: { c2: 2 } }],
  ])('%j with entitlement %s and subscriber %s gives %j', async (message, entitlement, subscriber, result) => {
    const local = await startTestBroker({ security: { entitlement: { module: selecting } } });
    try {
      const c = await connect(local.url, { user: 'u', password: 'p', reconnect: false });
      const topic = `t/${encodeURIComponent(entitlement)}`;
      const got = new Collector<unknown>();
      await c.subscribe({ topic, ...(subscriber ? { select: subscriber } : {}) }, (m) => got.push(m.data));
      await c.publish(topic, message, { ack: true });
      await got.count(1);
      expect(got.items).toEqual([result]);
      await c.close();
    } finally {
      await local.close();
    }
  });
});
