// Through a real broker and real clients: the policy module's shadow policy (differences seen at
// GET /admin/entitlements/shadow and in the audit log file, then promoted to live), and its
// watched policy file (a change applies without a reset and forgets only the answers of the users
// it changes; an invalid one is audited and not applied).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Explanation } from '../../../server/security/explanation.js';
import { Collector } from '../../helpers/collector.js';
import { outcome, refusal, useResources } from './helpers.js';

const res = useResources();

const LIVE = `
groups:
  feeds:
    users: [feed]
    grants:
      - { actions: [write], topics: ['prices/#'] }
  traders:
    users: [alice, bob]
    grants:
      - { actions: [read, write], topics: ['orders/\${user}/#'] }
      - { actions: [read], topics: ['prices/#'], filter: "region = 'EU'" }
`;

// bob may no longer write his orders, prices lose the filter and gain a select list, carol joins.
const SHADOW = `
groups:
  feeds:
    users: [feed]
    grants:
      - { actions: [write], topics: ['prices/#'] }
  traders:
    users: [alice, bob, carol]
    grants:
      - { actions: [read, write], topics: ['orders/\${user}/#'] }
      - { actions: [read], topics: ['prices/#'], select: '-/internal' }
deny:
  - { users: [bob], actions: [write], topics: ['orders/#'] }
`;

interface AuditLine {
  readonly event: string;
  readonly [key: string]: unknown;
}

async function setup(options: Record<string, unknown> = {}) {
  const dir = res.tempDir();
  const file = dir.write('policy.yaml', LIVE);
  const shadowFile = dir.write('policy-next.yaml', SHADOW);
  const auditFile = join(dir.path, 'audit.log');
  const tb = await res.broker({
    security: {
      entitlement: { module: 'policy', options: { file, shadow: { file: shadowFile }, ...options } },
    },
    // The admin interface entitled on its own, so the policies under test see only the clients.
    admin: { entitlement: { module: 'allow-all' }, credentialCache: { ttlMs: 0 } },
    audit: { destination: auditFile },
  });
  const admin = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const response = await fetch(`${tb.broker.adminUrl!}${path}`, {
      method,
      headers: { authorization: `Basic ${Buffer.from('ops:pw').toString('base64')}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  /** The audit log file's lines so far (written asynchronously: poll it). */
  const audit = (event: string): AuditLine[] => {
    let text: string;
    try {
      text = readFileSync(auditFile, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as AuditLine)
      .filter((line) => line.event === event);
  };
  const client = (user: string) => res.client(tb.url, { user, password: 'pw' });
  return { tb, file, shadowFile, admin, audit, client };
}

describe('a shadow policy in a running broker', () => {
  it('shows the differences of real requests, audits them, and becomes live when promoted', async () => {
    const { shadowFile, admin, audit, client } = await setup();
    const alice = await client('alice');
    const bob = await client('bob');
    await alice.subscribe({ topic: 'prices/eu' });
    await bob.publish('orders/bob/1', { qty: 1 }, { ack: true });
    // Asked once (then cached): one comparison, whatever the number of publishes.
    await bob.publish('orders/bob/1', { qty: 2 }, { ack: true });
    await alice.publish('orders/alice/1', { qty: 3 }, { ack: true });
    expect(await refusal(client('carol'))).toBe('LOGON_FAILED');

    const { status, body } = await admin('GET', '/admin/entitlements/shadow');
    expect(status).toBe(200);
    const [summary] = body.shadows as Record<string, unknown>[];
    expect(body.shadows).toHaveLength(1);
    expect(summary).toMatchObject({
      config: 'security.entitlement',
      module: 'policy',
      source: shadowFile,
      differences: 3,
      byKind: { 'allowed-now-denied': 1, 'denied-now-allowed': 1, 'filter-changed': 1, 'select-changed': 1 },
      auditSuppressed: 0,
      topUsers: expect.arrayContaining([{ user: 'bob', differences: 1 }]),
    });
    // Logons of alice, bob and carol, alice's read, bob's and alice's writes.
    expect(summary!.comparisons).toBe(6);
    expect((summary!.recent as Record<string, unknown>[]).map((d) => [d.user, d.action, d.resource])).toEqual([
      ['carol', 'logon', ''],
      ['bob', 'write', 'orders/bob/1'],
      ['alice', 'read', 'prices/eu'],
    ]);

    await expect.poll(() => audit('shadow-difference').length).toBe(3);
    expect(audit('shadow-difference').find((line) => line.user === 'bob')).toMatchObject({
      config: 'security.entitlement',
      user: 'bob',
      action: 'write',
      resourceType: 'topic',
      resource: 'orders/bob/1',
      kinds: ['allowed-now-denied'],
      live: { allow: true },
      shadow: { allow: false },
      liveRule: 'groups.traders.grants[0]',
      shadowRule: 'deny[0]',
    });

    // Promote: the shadow is live, then every user's entitlements are re-evaluated: nobody's logon
    // changed, so nobody is disconnected, and bob's next write is decided under the new policy.
    const promoted = await admin('POST', '/admin/entitlements/shadow/promote');
    expect(promoted).toMatchObject({
      status: 200,
      body: { promoted: ['security.entitlement'], reset: { disconnected: 0, subscriptionsRevoked: 0 } },
    });
    expect([alice.state, bob.state]).toEqual(['connected', 'connected']);
    expect(await refusal(bob.publish('orders/bob/2', {}, { ack: true }))).toBe('NOT_ENTITLED');
    const carol = await client('carol');
    const freshAlice = await client('alice');
    const prices = new Collector<unknown>();
    await freshAlice.subscribe({ topic: 'prices/us' }, (message) => prices.push(message.data));
    const feed = await client('feed');
    await feed.publish('prices/us', { region: 'US', px: 1, internal: 'x' }, { ack: true });
    // No filter any more (US reaches alice), and the select list removes /internal.
    await prices.count(1);
    expect(prices.items).toEqual([{ region: 'US', px: 1 }]);
    expect(carol.state).toBe('connected');

    expect(await admin('GET', '/admin/entitlements/shadow')).toEqual({ status: 200, body: { shadows: [] } });
    expect(await admin('POST', '/admin/entitlements/shadow/promote')).toEqual({
      status: 409,
      body: { error: { code: 'CONFLICT', message: 'no entitlement module has a shadow policy to promote' } },
    });
    // Admin writes are audited (GETs are not).
    await expect.poll(() => audit('admin').length).toBe(2);
    expect(audit('shadow-promoted')).toEqual([
      expect.objectContaining({ config: 'security.entitlement', from: shadowFile, comparisons: 6, differences: 3 }),
    ]);
    expect(audit('admin').map((line) => [line.method, line.path, line.status, line.action])).toEqual([
      ['POST', '/admin/entitlements/shadow/promote', 200, 'shadow policy promoted'],
      ['POST', '/admin/entitlements/shadow/promote', 409, 'shadow policy promoted'],
    ]);
  });
});

describe('a watched policy file in a running broker', () => {
  const explain = async (admin: Awaited<ReturnType<typeof setup>>['admin'], user: string, topic: string) =>
    (await admin('POST', '/admin/explain', { user, action: 'read', topic })).body as unknown as Explanation;

  it('applies a change without a reset, forgetting only the answers of the users it changes', async () => {
    const { file, admin, client } = await setup();
    const alice = await client('alice');
    const bob = await client('bob');
    await alice.subscribe({ topic: 'orders/alice/1' });
    await bob.subscribe({ topic: 'orders/bob/1' });
    expect(await refusal(alice.subscribe({ topic: 'news/1' }))).toBe('NOT_ENTITLED');
    const since = async (user: string): Promise<string | null> => {
      const { cache } = await explain(admin, user, `orders/${user}/1`);
      return cache.cached ? cache.since : null;
    };
    const [aliceBefore, bobBefore] = [await since('alice'), await since('bob')];
    expect(aliceBefore).not.toBeNull();
    expect(bobBefore).not.toBeNull();

    // alice moves to a group of her own that also reads news; bob's grants do not change.
    writeFileSync(
      file,
      LIVE.replace('users: [alice, bob]', 'users: [bob]') +
        "  newsreaders:\n    users: [alice]\n    grants:\n      - { actions: [read, write], topics: ['orders/${user}/#', 'news/#'] }\n",
    );
    // alice's answers are forgotten, and asked again at once by the re-evaluation of her connection
    // (so the cached copy is a new one); bob's stay as they were.
    await expect.poll(() => since('alice')).not.toBe(aliceBefore);
    expect(await since('bob')).toBe(bobBefore);
    expect(await outcome(alice.subscribe({ topic: 'news/1' }))).toBe('allowed');
    expect(alice.state).toBe('connected');
    expect(bob.state).toBe('connected');
  });

  it('audits an invalid file and keeps the policy in force', async () => {
    const { file, admin, audit, client } = await setup({ watch: true });
    writeFileSync(file, LIVE.replace("topics: ['prices/#'] }", "topics: ['prices/#/x'] }"));
    await expect.poll(() => audit('policy-invalid').length).toBe(1);
    expect(audit('policy-invalid')[0]).toMatchObject({
      config: 'security.entitlement',
      policy: 'live',
      file,
      error: expect.stringContaining('groups.feeds.grants[0].topics[0]'),
    });
    const feed = await client('feed');
    await feed.publish('prices/eu', { px: 1 }, { ack: true });
    expect((await explain(admin, 'alice', 'prices/eu')).decision).toBe('allow');
  });
});
