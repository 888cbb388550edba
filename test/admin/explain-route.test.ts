// POST /admin/explain on the admin HTTP layer alone (over RecordingAdminActions): the strict body
// checks, each with its own 400 message, and the question handed to the admin actions. The real
// explanation, through a broker, is tested in test/security/admin-explain.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, explanationFor, VIEWER } from './recording-admin-actions.js';
import { basic, startAdminListener, type ListenerFixture } from './listener-fixture.js';

let admin: ListenerFixture;
beforeEach(async () => {
  admin = await startAdminListener();
});
afterEach(() => admin.close());

async function explain(body: string, authorization = basic(ADMIN.user, ADMIN.password)) {
  const res = await fetch(`${admin.url}/admin/explain`, { method: 'POST', headers: { authorization }, body });
  return { status: res.status, json: (await res.json()) as unknown };
}

describe('POST /admin/explain', () => {
  it('hands the validated question to the admin actions and answers with the explanation', async () => {
    const res = await explain(
      JSON.stringify({ user: 'alice', action: 'read', topic: 'prices/eu', listener: 'native' }),
    );
    const question = { user: 'alice', action: 'read', topic: 'prices/eu', listener: 'native' } as const;
    expect(res).toEqual({ status: 200, json: explanationFor(question) });
    expect(admin.actions.callsOf('explainEntitlement')).toEqual([[question]]);
    // Entitled as every admin request: write (a POST) on its own path.
    expect(admin.actions.callsOf('checkAdmin')).toEqual([[ADMIN.user, 'write', '/admin/explain']]);
  });

  it('asks about an admin path with the action the admin listener would check: read for GET, write for POST', async () => {
    await explain(JSON.stringify({ user: 'ops', action: 'admin', path: '/admin/entitlements' }));
    await explain(JSON.stringify({ user: 'ops', action: 'admin', path: '/admin/entitlements/reset' }));
    await explain(JSON.stringify({ user: '', action: 'logon' }));
    expect(admin.actions.callsOf('explainEntitlement')).toEqual([
      [{ user: 'ops', action: 'admin', path: '/admin/entitlements', method: 'read' }],
      [{ user: 'ops', action: 'admin', path: '/admin/entitlements/reset', method: 'write' }],
      [{ user: '', action: 'logon', listener: undefined }],
    ]);
  });

  it.each([
    ['no body', '', '"user" is required: the user whose entitlement to explain'],
    ['an array', '[]', 'expected a JSON object as the request body'],
    [
      'an unknown field',
      '{"user":"a","action":"read","topic":"t","method":"GET"}',
      'unknown field "method" in the request body (expected only "user", "action", "topic", "path", "listener")',
    ],
    ['a missing user', '{"action":"read","topic":"t"}', '"user" is required: the user whose entitlement to explain'],
    [
      'a user that is not a string',
      '{"user":7,"action":"read","topic":"t"}',
      '"user" must be a string (the identity, "" after an implicit logon)',
    ],
    ['a missing action', '{"user":"a"}', '"action" is required: one of logon, read, write, admin'],
    [
      'an unknown action',
      '{"user":"a","action":"subscribe","topic":"t"}',
      '"action" must be one of logon, read, write, admin; got "subscribe"',
    ],
    [
      'read without a topic',
      '{"user":"a","action":"read"}',
      '"topic" is required with action "read": the topic to read or write',
    ],
    [
      'an empty topic',
      '{"user":"a","action":"write","topic":""}',
      '"topic" must be a non-empty string: the topic to read or write',
    ],
    [
      'a wildcard topic',
      '{"user":"a","action":"read","topic":"prices/#"}',
      '"topic" must be a concrete topic, without "+", "#" or NUL; got "prices/#"',
    ],
    [
      'a path with read',
      '{"user":"a","action":"read","topic":"t","path":"/admin/explain"}',
      '"path" does not go with action "read": paths are for action "admin"; give "topic"',
    ],
    [
      'a topic with admin',
      '{"user":"a","action":"admin","topic":"t","path":"/admin/explain"}',
      '"topic" does not go with action "admin": topics are for read and write; give "path"',
    ],
    [
      'admin without a path',
      '{"user":"a","action":"admin"}',
      '"path" is required with action "admin": an admin endpoint path, e.g. /admin/entitlements/reset',
    ],
    [
      'admin with a path that is no endpoint',
      '{"user":"a","action":"admin","path":"/admin/entitlements/"}',
      '"path" "/admin/entitlements/" is not an admin endpoint (paths match exactly, e.g. /admin/entitlements)',
    ],
    [
      'a listener with admin',
      '{"user":"a","action":"admin","path":"/admin/entitlements","listener":"native"}',
      '"listener" does not go with action "admin": admin requests are entitled by the admin listener\'s module (admin.entitlement)',
    ],
    [
      'a topic with logon',
      '{"user":"a","action":"logon","topic":"t"}',
      '"topic" does not go with action "logon": logon has no resource',
    ],
    [
      'an empty listener',
      '{"user":"a","action":"logon","listener":""}',
      '"listener" must be a non-empty string: the name of a configured listener',
    ],
    [
      'a listener the config does not have',
      '{"user":"a","action":"read","topic":"t","listener":"nope"}',
      '"listener": no listener named "nope" (configured: "native")',
    ],
  ])('answers 400 for %s', async (_what, body, message) => {
    const res = await explain(body);
    expect(res).toEqual({ status: 400, json: { error: { code: 'BAD_REQUEST', message } } });
  });

  it('asks nothing when the body is refused', async () => {
    await explain('{"user":"a","action":"read"}');
    expect(admin.actions.callsOf('explainEntitlement')).toEqual([]);
  });

  it('answers 403 to a user not entitled to write /admin/explain, before reading the body', async () => {
    const res = await explain('{"user":"a","action":"logon"}', basic(VIEWER.user, VIEWER.password));
    expect(res).toEqual({
      status: 403,
      json: { error: { code: 'FORBIDDEN', message: '"viewer" is not entitled to write /admin/explain' } },
    });
    expect(admin.actions.callsOf('explainEntitlement')).toEqual([]);
  });
});
