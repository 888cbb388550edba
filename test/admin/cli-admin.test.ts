// `warden admin` as a real process against an AdminListener started in this test process (over
// RecordingAdminActions; end-to-end through the real broker lives in test/security).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ADMIN,
  CONNECTION,
  CONNECTIONS,
  explanationFor,
  HISTORY_ENTRY,
  PROMOTED,
  RELOAD,
  RELOAD_REFUSED,
  SHADOWS,
  STATUS,
  TOKEN,
  VHOST,
  VHOSTS,
  VIEWER,
} from './recording-admin-actions.js';
import { runCli } from './cli-process.js';
import { startAdminListener, type ListenerFixture } from './listener-fixture.js';

let admin: ListenerFixture;
beforeEach(async () => {
  admin = await startAdminListener();
});
afterEach(() => admin.close());

const dir = mkdtempSync(join(tmpdir(), 'warden-admin-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const AS_ADMIN = { WARDEN_ADMIN_USER: ADMIN.user, WARDEN_ADMIN_PASSWORD: ADMIN.password };

/** `warden admin ...args` against the listener of this test. */
function runAdmin(args: readonly string[], env: NodeJS.ProcessEnv) {
  return runCli(['admin', ...args, '--url', admin.url], { env });
}

describe('warden admin', () => {
  it('status prints the entitlement status as JSON and exits 0', async () => {
    const result = await runAdmin(['status'], AS_ADMIN);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual(STATUS);
    expect(result.stdout).toBe(`${JSON.stringify(STATUS, null, 2)}\n`);
  });

  it('shadow prints the shadow summaries (GET /admin/entitlements/shadow)', async () => {
    const result = await runAdmin(['shadow'], AS_ADMIN);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual(SHADOWS);
    expect(admin.actions.callsOf('checkAdmin')).toContainEqual([ADMIN.user, 'read', '/admin/entitlements/shadow']);
  });

  it('promote-shadow promotes (POST /admin/entitlements/shadow/promote); exits 1 when there is no shadow', async () => {
    const result = await runAdmin(['promote-shadow'], AS_ADMIN);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual(PROMOTED);
    expect(admin.actions.callsOf('promoteShadow')).toHaveLength(1);
    admin.actions.hasShadow = false;
    const none = await runAdmin(['promote-shadow'], AS_ADMIN);
    expect(none).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'warden admin: no entitlement module has a shadow policy to promote (HTTP 409 CONFLICT)\n',
    });
    expect(await runAdmin(['promote-shadow', '--user', 'x'], AS_ADMIN)).toMatchObject({ code: 2 });
  });

  it('vhosts lists the vhosts; --vhost scopes a command to one vhost, entitled as its path', async () => {
    const listed = await runAdmin(['vhosts'], AS_ADMIN);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(listed.stdout)).toEqual(VHOSTS);
    const scoped = await runAdmin(['connections', '--vhost', 'A.Example', '--user', 'alice'], AS_ADMIN);
    expect(scoped).toMatchObject({ code: 0, stderr: '' });
    expect(admin.actions.callsOf('listConnections').at(-1)).toEqual([{ user: 'alice', vhost: VHOST }, 100, undefined]);
    expect(admin.actions.callsOf('checkAdmin')).toContainEqual([
      ADMIN.user,
      'read',
      `/admin/vhosts/${VHOST}/connections`,
      VHOST,
    ]);
    // Broker-wide commands take no vhost: refused before anything is sent.
    expect(await runAdmin(['disable', '--vhost', VHOST], AS_ADMIN)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--vhost only goes with/),
    });
    // An unknown vhost: 404 from the listener (exit 1).
    expect(await runAdmin(['status', '--vhost', 'b.example'], AS_ADMIN)).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/no vhost "b.example"/),
    });
  });

  it("admission prints admission control's counts as JSON (GET /admin/admission)", async () => {
    const result = await runAdmin(['admission'], AS_ADMIN);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual(CONNECTIONS);
    expect(admin.actions.callsOf('checkAdmin')).toContainEqual([ADMIN.user, 'read', '/admin/admission']);
  });

  it('invalidate posts the user, action and topic or path to /admin/entitlements/invalidate', async () => {
    const result = await runAdmin(
      ['invalidate', '--user', 'alice', '--action', 'read', '--topic', 'prices/eu'],
      AS_ADMIN,
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toMatchObject({
      invalidated: { user: 'alice', action: 'read', resource: 'prices/eu' },
    });
    expect(admin.actions.callsOf('invalidateEntitlements')).toEqual([
      [{ user: 'alice', action: 'read', resource: 'prices/eu' }],
    ]);
  });

  it('history prints the latest audited admin actions (GET /admin/audit), --limit of them', async () => {
    const result = await runAdmin(['history', '--limit', '7'], AS_ADMIN);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({ enabled: true, entries: [HISTORY_ENTRY] });
    expect(admin.actions.callsOf('recentAdminActions')).toEqual([[7]]);
    expect(admin.actions.callsOf('checkAdmin')).toContainEqual([ADMIN.user, 'read', '/admin/audit']);
  });

  it('connections passes its filters and page as the query string', async () => {
    const result = await runAdmin(
      ['connections', '--user', 'alice', '--protocol', 'mqtt', '--limit', '5', '--after', 'abcd-1'],
      AS_ADMIN,
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({ total: 1, connections: [CONNECTION] });
    expect(admin.actions.callsOf('listConnections')).toEqual([[{ user: 'alice', protocol: 'mqtt' }, 5, 'abcd-1']]);
  });

  it('kick ID closes one connection (DELETE, entitled as a write of its path); an unknown id exits 1', async () => {
    const kicked = await runAdmin(['kick', CONNECTION.id], AS_ADMIN);
    expect(kicked).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(kicked.stdout)).toEqual({ id: CONNECTION.id, disconnected: 1 });
    expect(admin.actions.callsOf('checkAdmin')).toContainEqual([
      ADMIN.user,
      'write',
      `/admin/connections/${CONNECTION.id}`,
    ]);
    const unknown = await runAdmin(['kick', 'abcd-99'], AS_ADMIN);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no connection "abcd-99"');
    expect(unknown.stderr).toContain('HTTP 404 NOT_FOUND');
  });

  it('kick --user closes every connection of that user; kick needs exactly one of the two', async () => {
    const kicked = await runAdmin(['kick', '--user', 'alice'], AS_ADMIN);
    expect(JSON.parse(kicked.stdout)).toEqual({ user: 'alice', disconnected: 2 });
    expect(admin.actions.callsOf('disconnectConnections')).toEqual([[{ user: 'alice' }]]);
    for (const args of [['kick'], ['kick', 'abcd-1', '--user', 'alice']]) {
      const refused = await runAdmin(args, AS_ADMIN);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('kick takes a connection ID or --user NAME');
    }
  });

  it('reset, with and without --user, over a token', async () => {
    const env = { WARDEN_ADMIN_TOKEN: TOKEN };
    expect(JSON.parse((await runAdmin(['reset'], env)).stdout)).toEqual({
      reset: 'all',
      mode: 'disconnect',
      disconnected: 2,
    });
    expect(JSON.parse((await runAdmin(['reset', '--user', 'alice'], env)).stdout)).toEqual({
      reset: 'alice',
      mode: 'disconnect',
      disconnected: 2,
    });
    expect(JSON.parse((await runAdmin(['reset', '--mode', 'reevaluate'], env)).stdout)).toMatchObject({
      mode: 'reevaluate',
    });
    expect(admin.actions.callsOf('resetEntitlements')).toEqual([
      [undefined, 'disconnect'],
      ['alice', 'disconnect'],
      [undefined, 'reevaluate'],
    ]);
    expect(admin.actions.callsOf('authenticateAdmin')[0]![0]).toMatchObject({ mechanism: 'token', token: TOKEN });
  });

  it('explain sends its flags as the question and prints the explanation', async () => {
    const result = await runAdmin(
      ['explain', '--user', 'alice', '--action', 'read', '--topic', 'prices/eu', '--listener', 'native'],
      AS_ADMIN,
    );
    const question = { user: 'alice', action: 'read', topic: 'prices/eu', listener: 'native' } as const;
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(`${JSON.stringify(explanationFor(question), null, 2)}\n`);
    expect(admin.actions.callsOf('explainEntitlement')).toEqual([[question]]);

    await runAdmin(['explain', '--user', 'ops', '--action', 'admin', '--path', '/admin/entitlements'], AS_ADMIN);
    expect(admin.actions.callsOf('explainEntitlement')[1]).toEqual([
      { user: 'ops', action: 'admin', path: '/admin/entitlements', method: 'read' },
    ]);
  });

  it("explain exits 1 with the broker's reason when it refuses the question", async () => {
    const result = await runAdmin(['explain', '--user', 'a', '--action', 'admin', '--topic', 't'], AS_ADMIN);
    expect(result).toMatchObject({
      code: 1,
      stdout: '',
      stderr:
        'warden admin: "topic" does not go with action "admin": topics are for read and write; give "path" (HTTP 400 BAD_REQUEST)\n',
    });
  });

  it('disable and enable', async () => {
    expect(JSON.parse((await runAdmin(['disable'], AS_ADMIN)).stdout)).toEqual({ enabled: false });
    expect(JSON.parse((await runAdmin(['enable'], AS_ADMIN)).stdout)).toEqual({ enabled: true });
  });

  it('reload posts to /admin/reload, with --reset in the body, and prints the answer', async () => {
    const plain = await runAdmin(['reload'], AS_ADMIN);
    expect(plain).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(plain.stdout)).toEqual(RELOAD);
    const none = await runAdmin(['reload', '--reset', 'none'], AS_ADMIN);
    expect(none.code).toBe(0);
    expect(admin.actions.callsOf('reloadConfig')).toEqual([[undefined], ['none']]);
    expect(admin.actions.callsOf('checkAdmin')).toContainEqual([ADMIN.user, 'write', '/admin/reload']);
  });

  it('reload exits 1 when nothing was applied, or when the broker has no config file (409)', async () => {
    admin.actions.reloadAnswer = RELOAD_REFUSED;
    const refused = await runAdmin(['reload'], AS_ADMIN);
    expect(refused).toMatchObject({
      code: 1,
      stderr:
        'warden admin: the config was not reloaded: some changes need a restart (see "refused"); the broker runs on as it was\n',
    });
    expect(JSON.parse(refused.stdout)).toEqual(RELOAD_REFUSED);

    admin.actions.reloadAnswer = null;
    const conflict = await runAdmin(['reload'], AS_ADMIN);
    expect(conflict).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'warden admin: no config file to reload (on purpose) (HTTP 409 CONFLICT)\n',
    });
  });

  it('takes the password from the variable --password-env names, and the name from --user-name', async () => {
    const result = await runAdmin(['status', '--user-name', VIEWER.user, '--password-env', 'MY_PW'], {
      MY_PW: VIEWER.password,
    });
    expect(result.code).toBe(0);
    expect(admin.actions.callsOf('authenticateAdmin')[0]![0]).toMatchObject({
      user: VIEWER.user,
      password: VIEWER.password,
    });
  });

  it('exits 3 with the message when authentication fails (401) or the action is not entitled (403)', async () => {
    const denied = await runAdmin(['status'], { ...AS_ADMIN, WARDEN_ADMIN_PASSWORD: 'wrong' });
    expect(denied).toMatchObject({
      code: 3,
      stdout: '',
      stderr: 'warden admin: authentication failed (HTTP 401 UNAUTHORIZED)\n',
    });
    const forbidden = await runAdmin(['disable'], {
      WARDEN_ADMIN_USER: VIEWER.user,
      WARDEN_ADMIN_PASSWORD: VIEWER.password,
    });
    expect(forbidden).toMatchObject({
      code: 3,
      stderr: 'warden admin: "viewer" is not entitled to write /admin/entitlements/disable (HTTP 403 FORBIDDEN)\n',
    });
  });

  it('exits 1 when the broker fails the action', async () => {
    admin.actions.failing.add('enableEntitlements');
    const result = await runAdmin(['enable'], AS_ADMIN);
    expect(result).toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/see the broker log \(HTTP 500 INTERNAL_ERROR\)/),
    });
  });

  it('exits 1 naming the URL when nothing listens there', async () => {
    const url = admin.url;
    await admin.close();
    const result = await runCli(['admin', 'status', '--url', url], { env: AS_ADMIN });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `warden admin: cannot connect to the admin listener at ${url}: connection refused (is the broker running, with admin.enabled, on that address?)\n`,
    );
  });

  it('finds the listener from admin.host and admin.port of --config or WARDEN_CONFIG', async () => {
    const path = join(dir, 'admin.yaml');
    writeFileSync(path, `admin:\n  host: 127.0.0.1\n  port: ${new URL(admin.url).port}\n`);
    expect(await runCli(['admin', 'status', '--config', path], { env: AS_ADMIN })).toMatchObject({
      code: 0,
      stderr: '',
    });
    expect(await runCli(['admin', 'status'], { env: { ...AS_ADMIN, WARDEN_CONFIG: path } })).toMatchObject({
      code: 0,
      stderr: '',
    });
    expect(admin.actions.callsOf('entitlementStatus')).toHaveLength(2);
  });

  it('exits 1 when the config says the admin listener is disabled', async () => {
    const path = join(dir, 'disabled.yaml');
    writeFileSync(path, 'admin:\n  enabled: false\n');
    const result = await runCli(['admin', 'status', '--config', path], { env: AS_ADMIN });
    expect(result).toMatchObject({
      code: 1,
      stderr: `warden admin: the admin listener is disabled in ${path} (admin.enabled: false); enable it, or pass --url\n`,
    });
  });

  it('exits 1 when the config it should read the address from is invalid', async () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'listeners: 7\n');
    const result = await runCli(['admin', 'status', '--config', path], { env: AS_ADMIN });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot take the admin address from the config \(or pass --url\)/);
    expect(result.stderr).toContain(path);
  });

  it('exits 2 on usage errors, before sending anything', async () => {
    const cases: [readonly string[], NodeJS.ProcessEnv, RegExp][] = [
      [['status'], {}, /no admin credentials: set WARDEN_ADMIN_USER and WARDEN_ADMIN_PASSWORD, or WARDEN_ADMIN_TOKEN/],
      [
        ['status'],
        { ...AS_ADMIN, WARDEN_ADMIN_TOKEN: TOKEN },
        /both WARDEN_ADMIN_PASSWORD and WARDEN_ADMIN_TOKEN are set/,
      ],
      [['status'], { WARDEN_ADMIN_PASSWORD: 'x' }, /no admin user name/],
      [['status', '--token-env', 'NOPE'], {}, /NOPE \(named by --token-env\) is not set/],
      [['status', '--password', 'x'], AS_ADMIN, /Unknown option '--password'/],
      [
        ['status', '--user', 'alice'],
        AS_ADMIN,
        /--user only goes with reset, connections, kick, explain, invalidate, not status/,
      ],
      [['reset', '--topic', 't'], AS_ADMIN, /--topic only goes with explain and invalidate, not reset/],
      [['reset', '--mode', 'gentle'], AS_ADMIN, /--mode expects disconnect or reevaluate, not "gentle"/],
      [['status', '--mode', 'reevaluate'], AS_ADMIN, /--mode only goes with reset, not status/],
      [['invalidate', '--action', 'read'], AS_ADMIN, /invalidate needs --user NAME/],
      [['invalidate', '--user', 'a', '--topic', 't', '--path', 'p'], AS_ADMIN, /--topic or --path, not both/],
      [['status', '--listener', 'x'], AS_ADMIN, /--listener only goes with connections and explain, not status/],
      [
        ['explain', '--user', 'a', '--action', 'read', '--limit', '5'],
        AS_ADMIN,
        /--limit only goes with connections and history, not explain/,
      ],
      [['explain', '--action', 'read', '--topic', 't'], AS_ADMIN, /explain needs --user NAME/],
      [['explain', '--user', 'alice'], AS_ADMIN, /explain needs --action, one of logon, read, write, admin/],
      [['explain', '--user', 'alice', '--action', 'subscribe'], AS_ADMIN, /--action must be one of .*"subscribe"/],
      [['reset', '--reset', 'none'], AS_ADMIN, /--reset only goes with reload, not reset/],
      [['reload', '--reset', 'later'], AS_ADMIN, /--reset expects disconnect or reevaluate or none, not "later"/],
      [['frobnicate'], AS_ADMIN, /unknown admin command "frobnicate"/],
      [[], AS_ADMIN, /which command\?/],
    ];
    for (const [args, env, message] of cases) {
      const result = await runAdmin(args, env);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(message);
    }
    expect(admin.actions.calls).toHaveLength(0);
  });

  it('refuses a URL with credentials in it', async () => {
    const result = await runCli(['admin', 'status', '--url', 'http://admin:pw@127.0.0.1:1'], { env: AS_ADMIN });
    expect(result).toMatchObject({ code: 2, stderr: expect.stringMatching(/--url must not contain credentials/) });
  });

  it('has help that says where credentials come from and what the exit codes are', async () => {
    const help = await runCli(['admin', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/WARDEN_ADMIN_PASSWORD/);
    expect(help.stdout).toMatch(/ps\)/);
    expect(help.stdout).toMatch(/3 refused/);
  });
});

describe('warden dispatch', () => {
  it('names the commands in the top-level help and refuses an unknown one with exit 2', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/warden passwd/);
    expect(help.stdout).toMatch(/warden admin/);
    const unknown = await runCli(['pasword']);
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown command "pasword"/) });
  });
});
