// The admin HTTP layer (AdminListener) against a recording AdminActions: authentication,
// entitlement, routing, body handling and error answers. End-to-end tests through the real
// broker's AdminActions live in test/security.
import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_MAX_BODY_BYTES } from '../../server/admin/admin-api.js';
import { ADMIN, CHALLENGED, PROMOTED, SHADOWS, STATUS, TOKEN, VIEWER } from './recording-admin-actions.js';
import { basic, startAdminListener, type ListenerFixture } from './listener-fixture.js';

let admin: ListenerFixture;
beforeEach(async () => {
  admin = await startAdminListener();
});
afterEach(() => admin.close());

const AS_ADMIN = basic(ADMIN.user, ADMIN.password);

async function call(method: string, path: string, init: { authorization?: string; body?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.authorization !== undefined) headers.authorization = init.authorization;
  const res = await fetch(`${admin.url}${path}`, { method, headers, body: init.body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: JSON.parse(text) as unknown };
}

describe('admin listener authentication', () => {
  it('answers 401 with a Basic challenge when there is no Authorization header', async () => {
    const res = await call('GET', '/admin/entitlements');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="warden-admin"');
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.json).toEqual({
      error: { code: 'UNAUTHORIZED', message: expect.stringMatching(/missing Authorization header/) },
    });
    expect(admin.actions.callsOf('authenticateAdmin')).toHaveLength(0);
  });

  it.each([
    ['a wrong password', basic(ADMIN.user, 'wrong')],
    ['an unknown token', 'Bearer not-the-token'],
    ['base64 without a colon', `Basic ${Buffer.from('adminonly').toString('base64')}`],
    ['an empty user name', basic('', 'x')],
    ['text that is not base64', 'Basic !!!'],
    ['an unsupported scheme', 'Digest abc'],
    ['no scheme', 'justsomething'],
  ])('answers 401 for %s', async (_what, authorization) => {
    const res = await call('POST', '/admin/entitlements/disable', { authorization });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="warden-admin"');
    expect(res.json).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    expect(admin.actions.callsOf('disableEntitlements')).toHaveLength(0);
  });

  it('does not tell the client why the module rejected it', async () => {
    const res = await call('GET', '/admin/entitlements', { authorization: basic(ADMIN.user, 'wrong') });
    expect(res.json).toEqual({ error: { code: 'UNAUTHORIZED', message: 'authentication failed' } });
  });

  it('answers 401 to a challenge, which HTTP cannot carry', async () => {
    const res = await call('GET', '/admin/entitlements', {
      authorization: basic(CHALLENGED.user, CHALLENGED.password),
    });
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({
      error: { code: 'UNAUTHORIZED', message: expect.stringMatching(/challenge-response/) },
    });
  });

  it('passes Basic credentials as a password logon on the admin listener', async () => {
    await call('GET', '/admin/entitlements', { authorization: AS_ADMIN });
    expect(admin.actions.callsOf('authenticateAdmin')[0]![0]).toEqual({
      user: ADMIN.user,
      password: ADMIN.password,
      token: undefined,
      mechanism: 'password',
      data: undefined,
      remoteAddress: expect.stringMatching(/127\.0\.0\.1/),
      listener: 'admin',
      peerCertificate: undefined,
    });
  });

  it('passes a Bearer token as a token logon, and a password may contain colons', async () => {
    expect((await call('GET', '/admin/entitlements', { authorization: `bearer ${TOKEN}` })).status).toBe(200);
    expect(admin.actions.callsOf('authenticateAdmin')[0]![0]).toMatchObject({
      user: '',
      token: TOKEN,
      password: undefined,
      mechanism: 'token',
    });
    await call('GET', '/admin/entitlements', { authorization: basic('someone', 'a:b:c') });
    expect(admin.actions.callsOf('authenticateAdmin')[1]![0]).toMatchObject({ user: 'someone', password: 'a:b:c' });
  });
});

describe('admin listener entitlement', () => {
  it('checks read for GET and write for POST, with the path as the resource', async () => {
    await call('GET', '/admin/entitlements?verbose=1', { authorization: AS_ADMIN });
    await call('POST', '/admin/entitlements/enable', { authorization: AS_ADMIN });
    expect(admin.actions.callsOf('checkAdmin')).toEqual([
      ['admin', 'read', '/admin/entitlements'],
      ['admin', 'write', '/admin/entitlements/enable'],
    ]);
  });

  it('answers 403 when the user is not entitled, and does not act', async () => {
    const authorization = basic(VIEWER.user, VIEWER.password);
    expect((await call('GET', '/admin/entitlements', { authorization })).status).toBe(200);
    const res = await call('POST', '/admin/entitlements/reset', { authorization });
    expect(res.status).toBe(403);
    expect(res.json).toEqual({
      error: { code: 'FORBIDDEN', message: '"viewer" is not entitled to write /admin/entitlements/reset' },
    });
    expect(admin.actions.callsOf('resetEntitlements')).toHaveLength(0);
  });
});

describe('admin listener routes', () => {
  it('GET /admin/entitlements answers the entitlement status', async () => {
    const res = await call('GET', '/admin/entitlements', { authorization: AS_ADMIN });
    expect(res).toMatchObject({ status: 200, json: STATUS });
    expect(res.headers.get('content-type')).toBe('application/json');
  });

  it('POST /admin/entitlements/reset resets everyone without a body, or one user', async () => {
    expect(await call('POST', '/admin/entitlements/reset', { authorization: AS_ADMIN })).toMatchObject({
      status: 200,
      json: { reset: 'all', disconnected: 2 },
    });
    expect(await call('POST', '/admin/entitlements/reset', { authorization: AS_ADMIN, body: '{}' })).toMatchObject({
      json: { reset: 'all' },
    });
    admin.actions.disconnected = 1;
    const one = await call('POST', '/admin/entitlements/reset', {
      authorization: AS_ADMIN,
      body: '{ "user": "alice" }',
    });
    expect(one).toMatchObject({ status: 200, json: { reset: 'alice', mode: 'disconnect', disconnected: 1 } });
    const reevaluate = await call('POST', '/admin/entitlements/reset', {
      authorization: AS_ADMIN,
      body: '{ "mode": "reevaluate" }',
    });
    expect(reevaluate).toMatchObject({ status: 200, json: { reset: 'all', mode: 'reevaluate' } });
    expect(admin.actions.callsOf('resetEntitlements')).toEqual([
      [undefined, 'disconnect'],
      [undefined, 'disconnect'],
      ['alice', 'disconnect'],
      [undefined, 'reevaluate'],
    ]);
    const wrong = await call('POST', '/admin/entitlements/reset', { authorization: AS_ADMIN, body: '{"mode":"soft"}' });
    expect(wrong).toMatchObject({
      status: 400,
      json: { error: { message: '"mode" must be "disconnect" or "reevaluate" (omit it to disconnect, as AMPS does)' } },
    });
  });

  it("POST /admin/entitlements/invalidate forgets a user's answers, needing a user and checking the rest", async () => {
    const done = await call('POST', '/admin/entitlements/invalidate', {
      authorization: AS_ADMIN,
      body: '{ "user": "alice", "action": "read", "resource": "prices/eu" }',
    });
    expect(done).toMatchObject({
      status: 200,
      json: { invalidated: { user: 'alice', action: 'read', resource: 'prices/eu' }, subscriptionsRevoked: 1 },
    });
    for (const [body, message] of [
      ['{}', /"user" is required/],
      ['{ "user": "alice", "action": "delete" }', /"action" must be one of/],
      ['{ "user": "alice", "resource": 7 }', /"resource" must be a string/],
    ] as const) {
      const refused = await call('POST', '/admin/entitlements/invalidate', { authorization: AS_ADMIN, body });
      expect(refused).toMatchObject({ status: 400, json: { error: { message: expect.stringMatching(message) } } });
    }
    expect(admin.actions.callsOf('invalidateEntitlements')).toEqual([
      [{ user: 'alice', action: 'read', resource: 'prices/eu' }],
    ]);
  });

  it('POST disable and enable answer the new state', async () => {
    expect(await call('POST', '/admin/entitlements/disable', { authorization: AS_ADMIN })).toMatchObject({
      status: 200,
      json: { enabled: false },
    });
    expect(await call('POST', '/admin/entitlements/enable', { authorization: `Bearer ${TOKEN}` })).toMatchObject({
      status: 200,
      json: { enabled: true },
    });
    expect(admin.actions.calls.map((c) => c.name).filter((n) => n.endsWith('Entitlements'))).toEqual([
      'disableEntitlements',
      'enableEntitlements',
    ]);
  });

  it('GET /admin/entitlements/shadow answers the shadow summaries; { shadows: [] } when there are none', async () => {
    expect(await call('GET', '/admin/entitlements/shadow', { authorization: AS_ADMIN })).toMatchObject({
      status: 200,
      json: SHADOWS,
    });
    admin.actions.hasShadow = false;
    expect(await call('GET', '/admin/entitlements/shadow', { authorization: AS_ADMIN })).toMatchObject({
      status: 200,
      json: { shadows: [] },
    });
    expect(admin.actions.callsOf('checkAdmin')).toContainEqual([ADMIN.user, 'read', '/admin/entitlements/shadow']);
    const query = await call('GET', '/admin/entitlements/shadow?limit=1', { authorization: AS_ADMIN });
    expect(query).toMatchObject({ status: 400, json: { error: { message: expect.stringMatching(/takes none/) } } });
  });

  it('POST /admin/entitlements/shadow/promote promotes, as a write of its path; 409 with no shadow policy', async () => {
    const path = '/admin/entitlements/shadow/promote';
    expect(await call('POST', path, { authorization: AS_ADMIN })).toMatchObject({ status: 200, json: PROMOTED });
    expect(admin.actions.callsOf('checkAdmin')).toContainEqual([ADMIN.user, 'write', path]);
    expect(await call('POST', path, { authorization: basic(VIEWER.user, VIEWER.password) })).toMatchObject({
      status: 403,
    });
    expect(await call('POST', path, { authorization: AS_ADMIN, body: '{"mode":"reevaluate"}' })).toMatchObject({
      status: 400,
      json: { error: { message: expect.stringMatching(/takes no fields/) } },
    });
    admin.actions.hasShadow = false;
    expect(await call('POST', path, { authorization: AS_ADMIN })).toMatchObject({
      status: 409,
      json: { error: { code: 'CONFLICT', message: 'no entitlement module has a shadow policy to promote' } },
    });
    expect(admin.actions.callsOf('promoteShadow')).toHaveLength(2);
  });

  it('answers 404 for an unknown path, after authenticating', async () => {
    expect((await call('GET', '/admin/entitlements/')).status).toBe(401);
    for (const path of ['/', '/admin', '/admin/entitlements/', '/admin/entitlements/resets']) {
      const res = await call('GET', path, { authorization: AS_ADMIN });
      expect(res).toMatchObject({
        status: 404,
        json: { error: { code: 'NOT_FOUND', message: `no admin endpoint at ${path}` } },
      });
    }
  });

  it('answers 405 with Allow for the wrong method', async () => {
    const post = await call('POST', '/admin/entitlements', { authorization: AS_ADMIN });
    expect(post).toMatchObject({ status: 405, json: { error: { code: 'METHOD_NOT_ALLOWED' } } });
    expect(post.headers.get('allow')).toBe('GET');
    const get = await call('GET', '/admin/entitlements/reset', { authorization: AS_ADMIN });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(admin.actions.callsOf('resetEntitlements')).toHaveLength(0);
  });
});

describe('admin listener request bodies', () => {
  it.each([
    ['invalid JSON', '{ "user": ', /not valid JSON/],
    ['a JSON array', '["alice"]', /expected a JSON object/],
    ['a number for user', '{ "user": 7 }', /"user" must be a non-empty string/],
    ['an empty user', '{ "user": "" }', /"user" must be a non-empty string/],
    ['a null user', '{ "user": null }', /"user" must be a non-empty string/],
    ['a misspelt field', '{ "usr": "alice" }', /unknown field "usr"/],
  ])('answers 400 to a reset with %s, and resets nobody', async (_what, body, message) => {
    const res = await call('POST', '/admin/entitlements/reset', { authorization: AS_ADMIN, body });
    expect(res).toMatchObject({
      status: 400,
      json: { error: { code: 'BAD_REQUEST', message: expect.stringMatching(message) } },
    });
    expect(admin.actions.callsOf('resetEntitlements')).toHaveLength(0);
  });

  it('answers 400 to fields on disable and enable, which take none', async () => {
    const res = await call('POST', '/admin/entitlements/disable', {
      authorization: AS_ADMIN,
      body: '{ "user": "alice" }',
    });
    expect(res).toMatchObject({ status: 400, json: { error: { message: expect.stringMatching(/takes no fields/) } } });
    expect(admin.actions.callsOf('disableEntitlements')).toHaveLength(0);
  });

  it.each([
    ['an unknown mode', '{ "reset": "later" }', /"reset" must be "disconnect" or "reevaluate" or "none"/],
    ['a misspelt field', '{ "rest": "none" }', /unknown field "rest"/],
  ])('answers 400 to a reload with %s, and reloads nothing', async (_what, body, message) => {
    const res = await call('POST', '/admin/reload', { authorization: AS_ADMIN, body });
    expect(res).toMatchObject({
      status: 400,
      json: { error: { code: 'BAD_REQUEST', message: expect.stringMatching(message) } },
    });
    expect(admin.actions.callsOf('reloadConfig')).toHaveLength(0);
  });

  it('answers 409 CONFLICT to a reload when the broker has no config file', async () => {
    admin.actions.reloadAnswer = null;
    expect(await call('POST', '/admin/reload', { authorization: AS_ADMIN, body: '{"reset":"none"}' })).toMatchObject({
      status: 409,
      json: { error: { code: 'CONFLICT', message: 'no config file to reload (on purpose)' } },
    });
    expect(admin.actions.callsOf('reloadConfig')).toEqual([['none']]);
  });

  it('answers 413 to a body over 64 KiB, by Content-Length', async () => {
    const body = JSON.stringify({ user: 'x'.repeat(ADMIN_MAX_BODY_BYTES) });
    const res = await call('POST', '/admin/entitlements/reset', { authorization: AS_ADMIN, body });
    expect(res).toMatchObject({ status: 413, json: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
    expect(admin.actions.callsOf('resetEntitlements')).toHaveLength(0);
  });

  it('answers 413 to a chunked body that grows over 64 KiB', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${admin.url}/admin/entitlements/reset`,
        { method: 'POST', headers: { authorization: AS_ADMIN } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write('{ "user": "');
      for (let i = 0; i < 9; i += 1) req.write('y'.repeat(8 * 1024));
      req.end('" }');
    });
    expect(status).toBe(413);
    expect(admin.actions.callsOf('resetEntitlements')).toHaveLength(0);
  });

  it('accepts a body of exactly 64 KiB', async () => {
    const prefix = '{ "user": "';
    const suffix = '" }';
    const body = `${prefix}${'z'.repeat(ADMIN_MAX_BODY_BYTES - prefix.length - suffix.length)}${suffix}`;
    expect(Buffer.byteLength(body)).toBe(ADMIN_MAX_BODY_BYTES);
    expect((await call('POST', '/admin/entitlements/reset', { authorization: AS_ADMIN, body })).status).toBe(200);
  });
});

describe('admin listener failures and logging', () => {
  it('answers 500 when an action throws, without its details, and keeps serving', async () => {
    admin.actions.failing.add('resetEntitlements');
    const res = await call('POST', '/admin/entitlements/reset', { authorization: AS_ADMIN });
    expect(res).toMatchObject({ status: 500, json: { error: { code: 'INTERNAL_ERROR' } } });
    expect(JSON.stringify(res.json)).not.toMatch(/internal detail/);
    expect(admin.logLines.some((line) => /"level":50/.test(line) && /failed on purpose/.test(line))).toBe(true);
    expect((await call('GET', '/admin/entitlements', { authorization: AS_ADMIN })).status).toBe(200);
  });

  it('answers 500 when authentication or entitlement throws (never lets the request through)', async () => {
    admin.actions.failing.add('checkAdmin');
    expect((await call('POST', '/admin/entitlements/disable', { authorization: AS_ADMIN })).status).toBe(500);
    expect(admin.actions.callsOf('disableEntitlements')).toHaveLength(0);
    admin.actions.failing.add('authenticateAdmin');
    expect((await call('GET', '/admin/entitlements', { authorization: AS_ADMIN })).status).toBe(500);
  });

  it('logs each action at info with the identity, and never a password or token', async () => {
    await call('POST', '/admin/entitlements/reset', { authorization: AS_ADMIN, body: '{"user":"alice"}' });
    await call('POST', '/admin/entitlements/disable', { authorization: `Bearer ${TOKEN}` });
    await call('GET', '/admin/entitlements', { authorization: basic(ADMIN.user, 'wrong-password-here') });
    await call('GET', '/admin/entitlements', { authorization: 'Bearer wrong-token-here' });
    const entries = admin.logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries).toContainEqual(
      expect.objectContaining({
        level: 30,
        msg: 'admin: entitlement reset',
        identity: 'admin',
        path: '/admin/entitlements/reset',
        result: { reset: 'alice', mode: 'disconnect', disconnected: 2 },
      }),
    );
    expect(entries).toContainEqual(
      expect.objectContaining({ level: 30, msg: 'admin: entitlements disabled', identity: 'robot' }),
    );
    expect(entries.filter((e) => e.msg === 'admin: authentication failed')).toHaveLength(2);
    const all = admin.logLines.join('\n');
    for (const secret of [
      ADMIN.password,
      TOKEN,
      'wrong-password-here',
      'wrong-token-here',
      Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64'),
    ]) {
      expect(all).not.toContain(secret);
    }
  });

  it('reports its URL, refuses a second listen, and closes idempotently', async () => {
    expect(admin.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await expect(admin.listener.listen()).rejects.toThrow(/already listening/);
    await admin.close();
    await admin.close();
    await expect(fetch(`${admin.url}/admin/entitlements`)).rejects.toThrow();
  });
});
