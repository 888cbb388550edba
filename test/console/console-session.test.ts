// The console's server side through a real broker's admin listener, with fetch as the browser:
// signing in (checked and entitled as an admin request), the session cookie's attributes, the CSRF
// token and same-origin checks on every write (cookie or Basic), signing out, the live-update
// stream and its limits, and the admin history from the audit log.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import type { AuditResponse } from '../../server/admin/admin-api.js';
import type { TestBroker } from '../helpers/broker.js';
import {
  consoleBroker,
  EventReader,
  PASSWORDS,
  signIn,
  type ConsoleHistory,
  type ConsoleSample,
  type SignedIn,
} from './console-fixture.js';

let tb: TestBroker | undefined;
const readers: EventReader[] = [];
const clients: Client[] = [];

afterEach(async () => {
  await Promise.all(readers.splice(0).map((r) => r.cancel()));
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
  await tb?.close();
  tb = undefined;
});

async function start(console: Parameters<typeof consoleBroker>[0] = {}): Promise<string> {
  tb = await consoleBroker({ sampleIntervalMs: 500, ...console });
  return tb.broker.adminUrl!;
}

function asConsole(session: SignedIn, withCsrf = true): Record<string, string> {
  return { cookie: session.cookie, ...(withCsrf ? { 'x-csrf-token': session.csrfToken } : {}) };
}

async function openEvents(adminUrl: string, session: SignedIn): Promise<EventReader> {
  const response = await fetch(`${adminUrl}/console/events`, { headers: { cookie: session.cookie } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const reader = new EventReader(response);
  readers.push(reader);
  return reader;
}

describe('signing in', () => {
  it('refuses a wrong password with 401 and no Basic challenge (the page has its own form)', async () => {
    const adminUrl = await start();
    const response = await fetch(`${adminUrl}/console/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: adminUrl },
      body: JSON.stringify({ user: 'ops', password: 'wrong-password' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe('authentication failed');
  });

  it('refuses a user who is not entitled to the console with 403', async () => {
    const adminUrl = await start();
    const response = await fetch(`${adminUrl}/console/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'alice', password: PASSWORDS.alice }),
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('sets an HttpOnly, SameSite=Strict session cookie and answers the CSRF token', async () => {
    const adminUrl = await start();
    const session = await signIn(adminUrl);
    const port = new URL(adminUrl).port;
    expect(session.setCookie).toMatch(
      new RegExp(`^warden_console_${port}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200$`),
    );
    expect(session.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const who = await fetch(`${adminUrl}/console/session`, { headers: { cookie: session.cookie } });
    expect(await who.json()).toEqual({ user: 'ops', csrfToken: session.csrfToken });
  });

  it('ends the session a browser had when it signs in again', async () => {
    const adminUrl = await start();
    const first = await signIn(adminUrl);
    const again = await fetch(`${adminUrl}/console/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: first.cookie },
      body: JSON.stringify({ user: 'ops', password: PASSWORDS.ops }),
    });
    expect(again.status).toBe(200);
    const old = await fetch(`${adminUrl}/console/session`, { headers: { cookie: first.cookie } });
    expect(old.status).toBe(401);
    const renewed = again.headers.get('set-cookie')!.split(';')[0]!;
    expect((await fetch(`${adminUrl}/console/session`, { headers: { cookie: renewed } })).status).toBe(200);
  });

  it('takes only JSON, so that a plain form on another site cannot sign anyone in', async () => {
    const adminUrl = await start();
    const response = await fetch(`${adminUrl}/console/session`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ user: 'ops', password: PASSWORDS.ops }),
    });
    expect(response.status).toBe(415);
  });

  it('refuses a sign-in posted from another origin', async () => {
    const adminUrl = await start();
    const response = await fetch(`${adminUrl}/console/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example' },
      body: JSON.stringify({ user: 'ops', password: PASSWORDS.ops }),
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
      'refused: the request came from another origin (http://evil.example)',
    );
  });
});

describe('the session on the admin API', () => {
  it('reads with the cookie alone, and writes only with the CSRF token', async () => {
    const adminUrl = await start();
    const session = await signIn(adminUrl);
    const status = await fetch(`${adminUrl}/admin/entitlements`, { headers: asConsole(session, false) });
    expect(status.status).toBe(200);

    const forged = await fetch(`${adminUrl}/admin/entitlements/disable`, {
      method: 'POST',
      headers: asConsole(session, false),
    });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: { message: string } }).error.message).toContain('CSRF token');
    const wrong = await fetch(`${adminUrl}/admin/entitlements/disable`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'x-csrf-token': 'A'.repeat(43) },
    });
    expect(wrong.status).toBe(403);
    expect(
      (
        (await (await fetch(`${adminUrl}/admin/entitlements`, { headers: asConsole(session) })).json()) as {
          enabled: boolean;
        }
      ).enabled,
    ).toBe(true);

    const done = await fetch(`${adminUrl}/admin/entitlements/disable`, { method: 'POST', headers: asConsole(session) });
    expect(done.status).toBe(200);
    expect(await done.json()).toEqual({ enabled: false });
  });

  it('refuses a write from another site even with the token, and one with remembered Basic credentials', async () => {
    const adminUrl = await start();
    const session = await signIn(adminUrl);
    const crossSite = await fetch(`${adminUrl}/admin/entitlements/reset`, {
      method: 'POST',
      headers: { ...asConsole(session), 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    const basic = `Basic ${Buffer.from(`ops:${PASSWORDS.ops}`).toString('base64')}`;
    const fromOtherOrigin = await fetch(`${adminUrl}/admin/entitlements/reset`, {
      method: 'POST',
      headers: { authorization: basic, origin: 'http://evil.example' },
    });
    expect(fromOtherOrigin.status).toBe(403);
    // A client that is not a browser sends no Origin: unaffected.
    const cli = await fetch(`${adminUrl}/admin/entitlements/reset`, {
      method: 'POST',
      headers: { authorization: basic },
    });
    expect(cli.status).toBe(200);
  });

  it('still entitles each request: the session runs as its user', async () => {
    const adminUrl = await start();
    const session = await signIn(adminUrl);
    const kick = await fetch(`${adminUrl}/admin/connections?user=alice`, {
      method: 'DELETE',
      headers: asConsole(session),
    });
    expect(kick.status).toBe(200);
    expect(await kick.json()).toEqual({ user: 'alice', disconnected: 0 });
  });

  it('ends at sign-out: the cookie no longer works', async () => {
    const adminUrl = await start();
    const session = await signIn(adminUrl);
    const noToken = await fetch(`${adminUrl}/console/session`, {
      method: 'DELETE',
      headers: asConsole(session, false),
    });
    expect(noToken.status).toBe(403);
    const out = await fetch(`${adminUrl}/console/session`, { method: 'DELETE', headers: asConsole(session) });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    const after = await fetch(`${adminUrl}/admin/entitlements`, { headers: asConsole(session) });
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toBeNull();
  });
});

describe('live updates', () => {
  it('sends the history, then samples whose rates follow a publisher', async () => {
    const adminUrl = await start();
    const session = await signIn(adminUrl);
    const events = await openEvents(adminUrl, session);
    const history = (await events.nextOf('history')).data as ConsoleHistory;
    expect(history).toMatchObject({ intervalMs: 500, historyMs: 900_000 });
    expect(Array.isArray(history.samples)).toBe(true);

    const pub = await connect(tb!.url, { user: 'pub', password: PASSWORDS.pub });
    clients.push(pub);
    let published = 0;
    const publishing = (async () => {
      for (; published < 200; published++) await pub.publish('prices/eu', { n: published }, { ack: true });
    })();
    const busy = await events.sampleWhere((s) => s.messagesInPerSec > 0);
    expect(busy.connections).toBeGreaterThanOrEqual(1);
    expect(busy.node).toBeNull();
    expect(busy.entitlementsEnabled).toBe(true);
    expect(busy.cache.size).toBeGreaterThan(0);
    expect(typeof busy.moduleLatencyMs.users).toBe('number');
    await publishing;
    await expect(pub.publish('orders/secret/1', { n: 1 }, { ack: true })).rejects.toThrow();
    const denied = await events.sampleWhere((s) => s.denialsPerSec > 0);
    expect(denied.denialsPerSec).toBeGreaterThan(0);
  });

  it('keeps the history for later pages, and ends the stream when the session is signed out', async () => {
    const adminUrl = await start();
    const session = await signIn(adminUrl);
    const first = await openEvents(adminUrl, session);
    await first.nextOf('history');
    const sample = (await first.nextOf('sample')).data as ConsoleSample;
    const second = await openEvents(adminUrl, session);
    const history = (await second.nextOf('history')).data as ConsoleHistory;
    expect(history.samples.map((s) => s.t)).toContain(sample.t);

    await fetch(`${adminUrl}/console/session`, { method: 'DELETE', headers: asConsole(session) });
    await first.nextOf('signed-out');
    expect(await first.next()).toBeNull();
    const refused = await fetch(`${adminUrl}/console/events`, { headers: { cookie: session.cookie } });
    expect(refused.status).toBe(401);
  });

  it('refuses streams beyond admin.console.maxEventStreams with 503', async () => {
    const adminUrl = await start({ maxEventStreams: 1 });
    const session = await signIn(adminUrl);
    const open = await openEvents(adminUrl, session);
    await open.nextOf('history');
    const refused = await fetch(`${adminUrl}/console/events`, { headers: { cookie: session.cookie } });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('10');
    await open.cancel();
  });
});

describe('GET /admin/audit', () => {
  it('lists the latest admin actions, newest first, with who did them', async () => {
    const adminUrl = await start();
    const session = await signIn(adminUrl);
    await fetch(`${adminUrl}/admin/entitlements/reset`, {
      method: 'POST',
      headers: { ...asConsole(session), 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'alice' }),
    });
    const response = await fetch(`${adminUrl}/admin/audit?limit=2`, { headers: asConsole(session) });
    const history = (await response.json()) as AuditResponse;
    expect(history.enabled).toBe(true);
    expect(history.entries.map((e) => [e.user, e.action, e.status, e.outcome])).toEqual([
      ['ops', 'entitlement reset', 200, 'done'],
      ['ops', 'console sign-in', 200, 'done'],
    ]);
    expect(history.entries[0]!.result).toEqual({ reset: 'alice', mode: 'disconnect', disconnected: 0 });
    expect(Date.parse(history.entries[0]!.at)).toBeLessThanOrEqual(Date.now());
    const bad = await fetch(`${adminUrl}/admin/audit?limit=101`, { headers: asConsole(session) });
    expect(bad.status).toBe(400);
  });
});
