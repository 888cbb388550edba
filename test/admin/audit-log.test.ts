// The audit log: a line per logon (accepted and refused), per admin action (who, what, status,
// result) and per entitlement denial, rate-limited per (user, action, resource); on stdout marked
// `audit: true`, or in a file of its own.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { AuditLog } from '../../server/audit/audit-log.js';
import { startBroker, type BrokerHandle } from '../../server/index.js';
import { Collector } from '../helpers/collector.js';
import { TEST_TRANSPORT } from '../helpers/broker.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { LogSink } from '../tls/tls-fixture.js';

const temp = useTempDirs();
let broker: BrokerHandle | undefined;
const clients: Client[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await broker?.close();
  broker = undefined;
});

const POLICY = `
allowUnknownUser: false
groups:
  admins: { users: [admin], grants: [{ actions: [read, write, admin], topics: ['#'] }] }
  traders: { users: [alice], grants: [{ actions: [read, write], topics: ['orders/#'] }] }
`;

async function start(audit: Record<string, unknown>, logger: pino.Logger): Promise<BrokerHandle> {
  const dir = temp();
  dir.write('policy.yaml', POLICY);
  return startBroker(
    {
      persistence: 'none',
      sys: { enabled: false },
      admin: { enabled: true, host: '127.0.0.1', port: 0, credentialCache: { ttlMs: 0 } },
      security: { entitlement: { module: 'policy', options: { file: 'policy.yaml' } } },
      audit,
      listeners: [{ name: 'native', protocol: 'native', host: '127.0.0.1', port: 0, transport: TEST_TRANSPORT }],
    },
    { logger, baseDir: dir.path },
  );
}

describe('the audit log', () => {
  it('writes logons, admin actions and denials on stdout, marked audit: true', async () => {
    const sink = new LogSink('info');
    broker = await start({}, sink.logger);
    const url = broker.listeners[0]!.url;
    const alice = await connect(url, { user: 'alice', password: 'pw', reconnect: false });
    clients.push(alice);
    const refused = await connect(url, { user: 'mallory', password: 'pw', reconnect: false }).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(Error);

    const audit = (event: string) => sink.entries.items.filter((e) => e.audit === true && e.event === event);
    await sink.entries.until(() => audit('logon').length === 2);
    expect(audit('logon')).toEqual([
      expect.objectContaining({
        outcome: 'accepted',
        user: 'alice',
        protocol: 'native',
        listener: 'native',
        remote: '127.0.0.1',
      }),
      expect.objectContaining({ outcome: 'refused', user: 'mallory', reason: expect.stringContaining('not-entitled') }),
    ]);

    // Five denied publishes in a row: one line (the rest are counted into the next, a window later).
    const errors = new Collector<unknown>();
    for (let i = 0; i < 5; i++) await alice.publish('prices/eu', { px: i }, { ack: true }).catch(errors.push);
    expect(errors.items).toHaveLength(5);
    expect(audit('denial')).toEqual([
      expect.objectContaining({
        user: 'alice',
        action: 'write',
        resource: 'prices/eu',
        reason: 'not-entitled',
        protocol: 'native',
      }),
    ]);

    const response = await fetch(`${broker.adminUrl}/admin/entitlements/reset`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ user: 'alice' }),
    });
    expect(response.status).toBe(200);
    await sink.entries.until(() => audit('admin').length === 1);
    expect(audit('admin')[0]).toMatchObject({
      outcome: 'done',
      user: 'admin',
      method: 'POST',
      path: '/admin/entitlements/reset',
      action: 'entitlement reset',
      status: 200,
      result: { reset: 'alice', disconnected: 1 },
    });
    // Nothing secret: no password anywhere in the log.
    expect(sink.text.join('')).not.toMatch(/"password"|pw"/);
  });

  it('writes to a file of its own when audit.destination is a path', async () => {
    const file = join(temp().path, 'audit', 'warden-audit.log');
    broker = await start({ destination: file }, pino({ level: 'silent' }));
    const alice = await connect(broker.listeners[0]!.url, { user: 'alice', password: 'pw', reconnect: false });
    await alice.close();
    await broker.close();
    broker = undefined;
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({ event: 'logon', outcome: 'accepted', user: 'alice', name: 'warden-audit' }),
    ]);
  });

  it('counts the denials a window held back into the next line for the same triple', () => {
    const lines = new Collector<Record<string, unknown>>();
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    let now = 1_000;
    const audit = new AuditLog(logger, { denialWindowMs: 60_000, maxTracked: 2 }, () => now);
    for (let i = 0; i < 4; i++) audit.denial('bob', 'read', 'secret/x', 'not-entitled', 'mqtt');
    audit.denial('bob', 'read', 'secret/y', 'not-entitled', 'mqtt');
    expect(lines.items.map((l) => [l.resource, l.suppressed])).toEqual([
      ['secret/x', undefined],
      ['secret/y', undefined],
    ]);
    now += 60_000;
    audit.denial('bob', 'read', 'secret/x', 'not-entitled', 'mqtt');
    expect(lines.items.at(-1)).toMatchObject({ resource: 'secret/x', suppressed: 3 });
    // A flood of refusals by the logon guard is one line per address per window, too.
    const before = lines.items.length;
    const throttled = { protocol: 'mqtt', session: 's', user: 'x', listener: 'mqtt', remote: '10.0.0.9' };
    for (let i = 0; i < 50; i++) audit.logon('refused', { ...throttled, reason: 'throttled: too many failures' });
    audit.logon('refused', { ...throttled, reason: 'rejected: bad password' });
    expect(lines.items.slice(before).map((l) => l.reason)).toEqual([
      'throttled: too many failures',
      'rejected: bad password',
    ]);
    // At most maxTracked triples are remembered: the oldest goes (with its count).
    audit.denial('bob', 'write', 'a', 'not-entitled', 'mqtt');
    audit.denial('bob', 'read', 'secret/y', 'not-entitled', 'mqtt');
    expect(lines.items.at(-1)).toMatchObject({ resource: 'secret/y' });
  });
});
