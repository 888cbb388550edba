// GET /metrics on a real broker's admin listener: the exposition text, parsed after known traffic
// (native and MQTT clients, a refused logon, a denied publish), and who may scrape it.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { startBroker, type BrokerHandle } from '../../server/index.js';
import { BrokerStats } from '../../server/stats.js';
import { BrokerMetrics } from '../../server/metrics/broker-metrics.js';
import { TEST_TRANSPORT } from '../helpers/broker.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { Inbox } from '../client/helpers.js';
import { MqttClients } from '../mqtt/mqtt-helpers.js';

const temp = useTempDirs();
let broker: BrokerHandle | undefined;
const clients: Client[] = [];
const mqttClients = new MqttClients();

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await mqttClients.teardown();
  await broker?.close();
  broker = undefined;
});

const POLICY = `
allowUnknownUser: false
groups:
  admins: { users: [admin], grants: [{ actions: [read, write, admin], topics: ['#'] }] }
  traders: { users: [alice], grants: [{ actions: [read, write], topics: ['orders/#'] }] }
`;

function basic(user: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:pw`).toString('base64')}` };
}

/** `shadow`: a shadow policy file's text (docs/entitlement.md#shadow-policy). */
async function start(metrics: Record<string, unknown> = {}, shadow?: string): Promise<BrokerHandle> {
  const dir = temp();
  dir.write('policy.yaml', POLICY);
  if (shadow !== undefined) dir.write('shadow.yaml', shadow);
  return startBroker(
    {
      log: { level: 'silent' },
      persistence: 'none',
      sys: { enabled: false },
      audit: { enabled: false },
      metrics,
      admin: { enabled: true, host: '127.0.0.1', port: 0, credentialCache: { ttlMs: 0 } },
      security: {
        entitlement: {
          module: 'policy',
          options: { file: 'policy.yaml', ...(shadow !== undefined ? { shadow: { file: 'shadow.yaml' } } : {}) },
        },
      },
      listeners: [
        { name: 'native', protocol: 'native', host: '127.0.0.1', port: 0, transport: TEST_TRANSPORT },
        { name: 'mqtt', protocol: 'mqtt', host: '127.0.0.1', port: 0, transport: 'tcp' },
      ],
    },
    { baseDir: dir.path },
  );
}

/** `name{labels}` -> value, from the exposition text; comment lines checked for HELP and TYPE. */
function parse(text: string): { samples: Map<string, number>; types: Map<string, string> } {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type !== null) types.set(type[1]!, type[2]!);
    if (line.startsWith('#')) continue;
    const sample = /^(\S+?(?:\{.*\})?) (\S+)$/.exec(line);
    if (sample === null) throw new Error(`not an exposition line: ${line}`);
    samples.set(sample[1]!, Number(sample[2]));
  }
  return { samples, types };
}

async function scrape(headers: Record<string, string> = basic('admin')) {
  const response = await fetch(`${broker!.adminUrl}/metrics`, { headers });
  return { response, text: await response.text() };
}

describe('GET /metrics', () => {
  it('counts known traffic: connections, logons and refusals, messages, deliveries, denials, cache, module calls', async () => {
    broker = await start();
    const nativeUrl = broker.listeners.find((l) => l.name === 'native')!.url;
    const mqttUrl = broker.listeners.find((l) => l.name === 'mqtt')!.url;
    const alice = await connect(nativeUrl, { user: 'alice', password: 'pw', reconnect: false });
    clients.push(alice);
    const received = new Inbox();
    await alice.subscribe({ topic: 'orders/#' }, received.handler);
    expect(
      await connect(nativeUrl, { user: 'mallory', password: 'pw', reconnect: false }).catch((e: Error) => e),
    ).toBeInstanceOf(Error);
    const feed = await mqttClients.connect(mqttUrl, 5, { username: 'admin', password: 'pw' });
    for (let i = 0; i < 3; i++) await feed.publishAsync(`orders/${i}`, JSON.stringify({ i }), { qos: 1 });
    await received.waitForCount(3);
    await expect(alice.publish('prices/eu', { px: 1 }, { ack: true })).rejects.toThrow();

    const { response, text } = await scrape();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const { samples, types } = parse(text);
    expect(samples.get('warden_connections{listener="native",protocol="native"}')).toBe(1);
    expect(samples.get('warden_connections{listener="mqtt",protocol="mqtt"}')).toBe(1);
    expect(samples.get('warden_logons_total')).toBe(2);
    expect(samples.get('warden_logon_refusals_total{reason="not_entitled"}')).toBe(1);
    expect(samples.get('warden_logon_refusals_total{reason="credentials"}')).toBe(0);
    expect(samples.get('warden_messages_received_total')).toBe(3);
    expect(samples.get('warden_deliveries_total')).toBe(3);
    expect(samples.get('warden_denials_total{action="write",reason="not_entitled"}')).toBe(1);
    expect(samples.get('warden_drops_total{cause="filter"}')).toBe(0);
    expect(samples.get('warden_entitlement_cache_entries')).toBeGreaterThan(0);
    expect(samples.get('warden_entitlement_cache_misses_total')).toBeGreaterThan(0);
    expect(samples.get('warden_entitlements_enabled')).toBe(1);
    // Three client logons and this scrape's credentials checked by allow-any; each write topic asked of the policy once.
    expect(samples.get('warden_module_calls_total{module="allow-any",action="authenticate"}')).toBe(4);
    expect(samples.get('warden_module_calls_total{module="policy",action="write"}')).toBe(4);
    expect(samples.get('warden_module_call_duration_seconds_count{module="policy",action="write"}')).toBe(4);
    expect(samples.get('warden_module_call_duration_seconds_bucket{le="+Inf",module="policy",action="write"}')).toBe(4);
    expect(samples.get('warden_module_failures_total{module="policy",action="write"}') ?? 0).toBe(0);
    expect(samples.get('warden_stat_messages_published_total')).toBe(3);
    expect(samples.get('warden_stat_connections_open')).toBe(2);
    expect(types.get('warden_stat_connections_open')).toBe('gauge');
    expect(types.get('warden_deliveries_total')).toBe('counter');
    expect(types.get('warden_module_call_duration_seconds')).toBe('histogram');
    expect(samples.get('warden_retained_messages')).toBe(0);
    expect(samples.has('nodejs_eventloop_lag_seconds')).toBe(true);
    expect([...samples.keys()].find((k) => k.startsWith('warden_info{'))).toMatch(
      /^warden_info\{version="[^"]+",node=""\}$/,
    );

    // Read at the scrape: the next one sees what happened since.
    await feed.publishAsync('orders/9', '{}', { qos: 1 });
    await received.waitForCount(4);
    expect(parse((await scrape()).text).samples.get('warden_deliveries_total')).toBe(4);
  });

  it("counts a shadow policy's comparisons (every call of its module) and differences by kind", async () => {
    const shadow = POLICY.replace(
      "traders: { users: [alice], grants: [{ actions: [read, write], topics: ['orders/#'] }] }",
      "traders: { users: [alice], grants: [{ actions: [read], topics: ['orders/#'], filter: \"side = 'B'\" }] }",
    );
    broker = await start({ processMetrics: false }, shadow);
    const before = parse((await scrape()).text).samples;
    expect(before.get('warden_shadow_differences_total{kind="allowed-now-denied"}')).toBe(0);
    const alice = await connect(broker.listeners[0]!.url, { user: 'alice', password: 'pw', reconnect: false });
    clients.push(alice);
    await alice.publish('orders/1', { side: 'B' }, { ack: true });
    await alice.subscribe({ topic: 'orders/1' });

    const { samples } = parse((await scrape()).text);
    expect(samples.get('warden_shadow_differences_total{kind="allowed-now-denied"}')).toBe(1);
    expect(samples.get('warden_shadow_differences_total{kind="filter-changed"}')).toBe(1);
    expect(samples.get('warden_shadow_differences_total{kind="denied-now-allowed"}')).toBe(0);
    expect(samples.get('warden_shadow_differences_total{kind="select-changed"}')).toBe(0);
    // Every call of the policy module was compared (admin checks of the scrapes included), and nothing else.
    const policyCalls = [...samples]
      .filter(([name]) => name.startsWith('warden_module_calls_total{module="policy"'))
      .reduce((sum, [, value]) => sum + value, 0);
    expect(samples.get('warden_shadow_comparisons_total')).toBe(policyCalls);
    expect(policyCalls).toBeGreaterThanOrEqual(4);
  });

  it('needs admin credentials and the admin read of /metrics by default', async () => {
    broker = await start();
    expect((await scrape({})).response.status).toBe(401);
    const alice = await scrape(basic('alice'));
    expect(alice.response.status).toBe(403);
    expect(alice.text).toContain('not entitled to read /metrics');
    expect((await scrape(basic('admin'))).response.status).toBe(200);
    const post = await fetch(`${broker.adminUrl}/metrics`, { method: 'POST', headers: basic('admin') });
    expect(post.status).toBe(405);
  });

  it('answers without credentials with metrics.credentials: none, and not at all when disabled', async () => {
    broker = await start({ credentials: 'none', processMetrics: false });
    const open = await scrape({});
    expect(open.response.status).toBe(200);
    expect(open.text).toContain('warden_logons_total 0');
    expect(open.text).not.toContain('nodejs_');
    await broker.close();
    broker = await start({ enabled: false });
    expect((await scrape()).response.status).toBe(404);
  });
});

it('docs/metrics.md lists every warden_module_ metric the broker serves, with its type', async () => {
  broker = await start({ processMetrics: false });
  const { types } = parse((await scrape()).text);
  const docs = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
  const modules = [...types].filter(([name]) => name.startsWith('warden_module_'));
  // The call metrics, and the remote modules' circuits and stale answers (served even with no such module).
  expect(modules.length).toBeGreaterThanOrEqual(10);
  const missing = modules.filter(([name, type]) => !docs.includes(`| \`${name}\` | ${type} |`)).map(([name]) => name);
  expect(missing).toEqual([]);
});

it('docs/metrics.md names every warden_ metric the broker registers', () => {
  const docs = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
  const metrics = new BrokerMetrics(
    {
      stats: new BrokerStats(),
      connections: () => [],
      entitlementStatus: () => ({ enabled: true, cache: { size: 0, hits: 0, misses: 0 }, moduleCalls: 0, failures: 0 }),
      subscriptions: () => 0,
      storedSessions: () => 0,
      retainedMessages: () => 0,
      retainedBytes: () => 0,
      shadowSummaries: () => [],
      moduleHealth: () => [],
      vhosts: () => [],
    },
    false,
    '0.0.0',
    () => null,
  );
  const names = metrics.registry
    .getMetricsAsArray()
    .map((m) => m.name)
    .filter((name) => name.startsWith('warden_') && !name.startsWith('warden_stat_'));
  const missing = names.filter((name) => !docs.includes(`\`${name}\``) && !pairDocumented(docs, name));
  expect(missing).toEqual([]);
});

/** A row naming a pair documents both: `a_hits_total` / `_misses_total`, or `a_messages` / `a_bytes`. */
function pairDocumented(docs: string, name: string): boolean {
  for (const [, first, second] of docs.matchAll(/`(warden_[a-z_]+)` \/ `([a-z_]+)`/g)) {
    if (second!.startsWith('warden_') ? second === name : first!.replace(/_[a-z]+_total$/, '') + second === name)
      return true;
  }
  return false;
}

it('docs/metrics.md lists every counter of broker.stats() with its metric name', () => {
  const docs = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
  const missing = Object.keys(new BrokerStats().snapshot()).filter(
    (field) => !docs.includes(`| \`${field}\` | \`warden_stat_`),
  );
  expect(missing).toEqual([]);
});
