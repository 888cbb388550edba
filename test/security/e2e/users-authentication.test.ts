// The `users` authentication module end to end: a real broker, logons through the SDK and the raw
// protocol (password, SCRAM-SHA-256), host access lists, passwordCheckOnly and a users file.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, scramCredentials } from '../../../server/security/authentication/password-hash.js';
import { scramClient } from '../../helpers/scram-client.js';
import { ManualTimers } from '../../helpers/manual-timers.js';
import { CHEAP_SCRYPT, expectRawLogonRefused, refusal, useResources } from './helpers.js';

const res = useResources();

interface Entry {
  name: string;
  hash: string;
  scram?: string;
  hosts?: string[];
  group?: string;
}

let users: Entry[];

beforeAll(async () => {
  const entry = async (name: string, extra: Partial<Entry> = {}, scram = true): Promise<Entry> => ({
    name,
    hash: await hashPassword(`${name}-pw`, CHEAP_SCRYPT),
    ...(scram ? { scram: scramCredentials(`${name}-pw`) } : {}),
    ...extra,
  });
  users = await Promise.all([
    entry('alice', { group: 'traders' }),
    entry('bob', {}, false), // no SCRAM credentials
    entry('far', { hosts: ['10.0.0.0/8'] }),
    entry('local', { hosts: ['127.0.0.1'] }),
    entry('localnet', { hosts: ['127.0.0.0/8'] }),
    entry('nohost', { hosts: [] }),
  ]);
});

const usersBroker = (options: Record<string, unknown> = {}) =>
  res.broker({ security: { authentication: { module: 'users', options: { users, ...options } } } });

describe('users: password logons', () => {
  it('accepts the right password; the identity is the configured name', async () => {
    const tb = await usersBroker();
    const c = await res.client(tb.url, { user: 'alice', password: 'alice-pw' });
    expect(c.user).toBe('alice');
    expect(typeof c.session).toBe('string');
    expect(await c.ping()).toBeGreaterThanOrEqual(0);
    expect(tb.broker.stats().logons).toBe(1);
  });

  it('refuses a wrong password with LOGON_FAILED and closes the connection with 4003', async () => {
    const tb = await usersBroker();
    expect(await refusal(res.client(tb.url, { user: 'alice', password: 'bob-pw' }))).toBe('LOGON_FAILED');
    const raw = await res.raw(tb.url);
    await expectRawLogonRefused(raw, { user: 'alice', password: 'wrong' });
    expect(tb.broker.stats()).toMatchObject({ logons: 0, logonFailures: 2 });
  });

  it('refuses an unknown user, and names that differ only in case', async () => {
    const tb = await usersBroker();
    expect(await refusal(res.client(tb.url, { user: 'mallory', password: 'alice-pw' }))).toBe('LOGON_FAILED');
    expect(await refusal(res.client(tb.url, { user: 'Alice', password: 'alice-pw' }))).toBe('LOGON_FAILED');
    await expectRawLogonRefused(await res.raw(tb.url), { user: 'mallory', password: 'mallory-pw' });
  });

  it('refuses anonymous logons: empty user name, no password, empty password, no credentials', async () => {
    const tb = await usersBroker();
    expect(await refusal(res.client(tb.url, { user: '', password: 'alice-pw' }))).toBe('LOGON_FAILED');
    expect(await refusal(res.client(tb.url, { user: '' }))).toBe('LOGON_FAILED');
    expect(await refusal(res.client(tb.url, { user: 'alice' }))).toBe('LOGON_FAILED');
    await expectRawLogonRefused(await res.raw(tb.url), { user: 'alice', password: '' });
    await expectRawLogonRefused(await res.raw(tb.url), { user: 'alice' });
  });

  it('refuses the implicit logon: a command before logon is NOT_LOGGED_ON', async () => {
    const tb = await usersBroker();
    const raw = await res.raw(tb.url);
    expect(await raw.request({ op: 'subscribe', rid: 5, sid: 1, topic: 'a' })).toMatchObject({
      op: 'error',
      rid: 5,
      code: 'NOT_LOGGED_ON',
    });
  });

  it('refuses the token mechanism, even with a password-looking token', async () => {
    const tb = await usersBroker();
    expect(await refusal(res.client(tb.url, { user: 'alice', token: 'alice-pw' }))).toBe('LOGON_FAILED');
  });

  it('reads users from a usersFile (relative to the base directory) as well as inline ones', async () => {
    const dir = res.tempDir();
    const carolHash = await hashPassword('carol-pw', CHEAP_SCRYPT);
    dir.write('users.json', JSON.stringify([{ name: 'carol', hash: carolHash }]));
    const tb = await res.broker({
      security: { authentication: { module: 'users', options: { users: [users[0]], usersFile: 'users.json' } } },
      baseDir: dir.path,
    });
    expect((await res.client(tb.url, { user: 'carol', password: 'carol-pw' })).user).toBe('carol');
    expect((await res.client(tb.url, { user: 'alice', password: 'alice-pw' })).user).toBe('alice');
    expect(await refusal(res.client(tb.url, { user: 'carol', password: 'alice-pw' }))).toBe('LOGON_FAILED');
  });
});

describe('users: host access lists', () => {
  it('refuses a user whose hosts do not include 127.0.0.1, even with the right password', async () => {
    const tb = await usersBroker();
    expect(await refusal(res.client(tb.url, { user: 'far', password: 'far-pw' }))).toBe('LOGON_FAILED');
    await expectRawLogonRefused(await res.raw(tb.url), { user: 'far', password: 'far-pw' });
  });

  it('accepts users whose hosts are 127.0.0.1 or 127.0.0.0/8', async () => {
    const tb = await usersBroker();
    expect((await res.client(tb.url, { user: 'local', password: 'local-pw' })).user).toBe('local');
    expect((await res.client(tb.url, { user: 'localnet', password: 'localnet-pw' })).user).toBe('localnet');
  });

  it('an empty hosts list lets the user in from nowhere', async () => {
    const tb = await usersBroker();
    expect(await refusal(res.client(tb.url, { user: 'nohost', password: 'nohost-pw' }))).toBe('LOGON_FAILED');
  });

  it('defaultHosts applies to users without hosts; a user list of their own overrides it', async () => {
    const tb = await usersBroker({ defaultHosts: ['10.0.0.0/8'] });
    expect(await refusal(res.client(tb.url, { user: 'alice', password: 'alice-pw' }))).toBe('LOGON_FAILED');
    expect((await res.client(tb.url, { user: 'local', password: 'local-pw' })).user).toBe('local');
  });

  it('host lists apply after a SCRAM proof too', async () => {
    const tb = await usersBroker();
    expect(await refusal(res.client(tb.url, { user: 'far', password: 'far-pw', mechanism: 'SCRAM-SHA-256' }))).toBe(
      'LOGON_FAILED',
    );
    expect((await res.client(tb.url, { user: 'local', password: 'local-pw', mechanism: 'SCRAM-SHA-256' })).user).toBe(
      'local',
    );
  });
});

describe('users: passwordCheckOnly', () => {
  it('ignores hosts and defaultHosts, for password and SCRAM logons', async () => {
    const tb = await usersBroker({ passwordCheckOnly: true, defaultHosts: ['10.0.0.0/8'] });
    expect((await res.client(tb.url, { user: 'far', password: 'far-pw' })).user).toBe('far');
    expect((await res.client(tb.url, { user: 'nohost', password: 'nohost-pw' })).user).toBe('nohost');
    expect((await res.client(tb.url, { user: 'alice', password: 'alice-pw' })).user).toBe('alice');
    expect((await res.client(tb.url, { user: 'far', password: 'far-pw', mechanism: 'SCRAM-SHA-256' })).user).toBe(
      'far',
    );
  });

  it('still refuses wrong passwords, unknown users and anonymous logons', async () => {
    const tb = await usersBroker({ passwordCheckOnly: true });
    expect(await refusal(res.client(tb.url, { user: 'far', password: 'alice-pw' }))).toBe('LOGON_FAILED');
    expect(await refusal(res.client(tb.url, { user: 'mallory', password: 'mallory-pw' }))).toBe('LOGON_FAILED');
    expect(await refusal(res.client(tb.url, { user: '', password: 'far-pw' }))).toBe('LOGON_FAILED');
    expect(await refusal(res.client(tb.url, { user: 'far' }))).toBe('LOGON_FAILED');
    expect(await refusal(res.client(tb.url, { user: 'far', password: 'wrong', mechanism: 'SCRAM-SHA-256' }))).toBe(
      'LOGON_FAILED',
    );
  });
});

describe('users: SCRAM-SHA-256', () => {
  it('the SDK logs on with SCRAM-SHA-256 (and verifies the server signature)', async () => {
    const tb = await usersBroker();
    const c = await res.client(tb.url, { user: 'alice', password: 'alice-pw', mechanism: 'SCRAM-SHA-256' });
    expect(c.user).toBe('alice');
    expect(await c.ping()).toBeGreaterThanOrEqual(0);
  });

  it('refuses a wrong password, an unknown user, and a user without SCRAM credentials', async () => {
    const tb = await usersBroker();
    expect(await refusal(res.client(tb.url, { user: 'alice', password: 'bob-pw', mechanism: 'SCRAM-SHA-256' }))).toBe(
      'LOGON_FAILED',
    );
    expect(await refusal(res.client(tb.url, { user: 'mallory', password: 'x', mechanism: 'SCRAM-SHA-256' }))).toBe(
      'LOGON_FAILED',
    );
    expect(await refusal(res.client(tb.url, { user: 'bob', password: 'bob-pw', mechanism: 'SCRAM-SHA-256' }))).toBe(
      'LOGON_FAILED',
    );
    // bob can still log on with his password.
    expect((await res.client(tb.url, { user: 'bob', password: 'bob-pw' })).user).toBe('bob');
  });

  it('raw exchange: the challenge extends the client nonce; a correct proof gets the ack with the server signature', async () => {
    const tb = await usersBroker();
    const raw = await res.raw(tb.url);
    const scram = scramClient('alice', 'alice-pw');
    raw.send({ op: 'logon', rid: 1, user: 'alice', mechanism: 'SCRAM-SHA-256', data: scram.clientFirst });
    const challenge = await raw.next((f) => f.rid === 1);
    expect(challenge.op).toBe('challenge');
    expect(String(challenge.data)).toMatch(
      new RegExp(`^r=${escapeRegExp(scram.clientNonce)}[A-Za-z0-9+/=]{24},s=[A-Za-z0-9+/=]+,i=4096$`),
    );
    const { clientFinal, expectedServerFinal } = scram.final(String(challenge.data));
    expect(await raw.request({ op: 'auth', rid: 1, data: clientFinal })).toMatchObject({
      op: 'ack',
      rid: 1,
      user: 'alice',
      data: expectedServerFinal,
    });
    expect(await raw.request({ op: 'ping', rid: 2 })).toEqual({ op: 'ack', rid: 2 });
  });

  it('raw exchange: an empty logon user takes the SCRAM user name', async () => {
    const tb = await usersBroker();
    const raw = await res.raw(tb.url);
    const scram = scramClient('alice', 'alice-pw');
    raw.send({ op: 'logon', rid: 1, user: '', mechanism: 'SCRAM-SHA-256', data: scram.clientFirst });
    const challenge = await raw.next((f) => f.rid === 1);
    expect(challenge.op).toBe('challenge');
    const { clientFinal } = scram.final(String(challenge.data));
    expect(await raw.request({ op: 'auth', rid: 1, data: clientFinal })).toMatchObject({
      op: 'ack',
      rid: 1,
      user: 'alice',
    });
  });

  it('raw exchange: a logon user different from the SCRAM user name is refused', async () => {
    const tb = await usersBroker();
    const raw = await res.raw(tb.url);
    const scram = scramClient('alice', 'alice-pw');
    expect(
      await raw.request({ op: 'logon', rid: 1, user: 'bob', mechanism: 'SCRAM-SHA-256', data: scram.clientFirst }),
    ).toMatchObject({
      op: 'error',
      rid: 1,
      code: 'LOGON_FAILED',
    });
    expect((await raw.closed).code).toBe(4003);
  });

  it('raw exchange: a wrong (garbage) proof is refused with LOGON_FAILED and close 4003', async () => {
    const tb = await usersBroker();
    const raw = await res.raw(tb.url);
    const scram = scramClient('alice', 'alice-pw');
    raw.send({ op: 'logon', rid: 1, user: 'alice', mechanism: 'SCRAM-SHA-256', data: scram.clientFirst });
    const challenge = await raw.next((f) => f.rid === 1);
    expect(challenge.op).toBe('challenge');
    const { nonce } = scram.final(String(challenge.data));
    const answer = await raw.request({
      op: 'auth',
      rid: 1,
      data: `c=biws,r=${nonce},p=${randomBytes(32).toString('base64')}`,
    });
    expect(answer).toMatchObject({ op: 'error', rid: 1, code: 'LOGON_FAILED' });
    expect((await raw.closed).code).toBe(4003);
    expect(tb.broker.stats()).toMatchObject({ logons: 0, logonFailures: 1 });
  });

  it('raw exchange: the proof for a wrong password, or a changed nonce, is refused', async () => {
    const tb = await usersBroker();
    for (const tamper of ['password', 'nonce'] as const) {
      const raw = await res.raw(tb.url);
      const scram = scramClient('alice', tamper === 'password' ? 'not-alice-pw' : 'alice-pw');
      raw.send({ op: 'logon', rid: 1, user: 'alice', mechanism: 'SCRAM-SHA-256', data: scram.clientFirst });
      const challenge = await raw.next((f) => f.rid === 1);
      let { clientFinal } = scram.final(String(challenge.data));
      if (tamper === 'nonce') clientFinal = clientFinal.replace(/,r=([^,]+),/, (_m, r: string) => `,r=${r}X,`);
      expect(await raw.request({ op: 'auth', rid: 1, data: clientFinal })).toMatchObject({
        op: 'error',
        code: 'LOGON_FAILED',
      });
      expect((await raw.closed).code).toBe(4003);
    }
  });

  it('raw exchange: an unknown user gets a normal-looking challenge (stable salt) and fails at the proof', async () => {
    const tb = await usersBroker();
    const salts: string[] = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      const raw = await res.raw(tb.url);
      const scram = scramClient('mallory', 'whatever');
      raw.send({ op: 'logon', rid: 1, user: 'mallory', mechanism: 'SCRAM-SHA-256', data: scram.clientFirst });
      const challenge = await raw.next((f) => f.rid === 1);
      expect(challenge.op).toBe('challenge');
      const data = String(challenge.data);
      expect(data).toMatch(
        new RegExp(`^r=${escapeRegExp(scram.clientNonce)}[A-Za-z0-9+/=]{24},s=[A-Za-z0-9+/=]+,i=4096$`),
      );
      salts.push(/,s=([^,]+),/.exec(data)![1]!);
      const { clientFinal } = scram.final(data);
      expect(await raw.request({ op: 'auth', rid: 1, data: clientFinal })).toMatchObject({
        op: 'error',
        code: 'LOGON_FAILED',
      });
      expect((await raw.closed).code).toBe(4003);
    }
    expect(salts[0]).toBe(salts[1]);
  });

  it('an auth with no challenge is NO_CHALLENGE (before logon, with the wrong rid, after the logon)', async () => {
    const tb = await usersBroker();
    const raw = await res.raw(tb.url);
    // Before any logon.
    expect(await raw.request({ op: 'auth', rid: 1, data: 'c=biws,r=x,p=eA==' })).toMatchObject({
      op: 'error',
      rid: 1,
      code: 'NO_CHALLENGE',
    });
    // During a challenge, with another rid: refused, and the challenge for rid 2 stays answerable.
    const scram = scramClient('alice', 'alice-pw');
    raw.send({ op: 'logon', rid: 2, user: 'alice', mechanism: 'SCRAM-SHA-256', data: scram.clientFirst });
    const challenge = await raw.next((f) => f.rid === 2);
    expect(challenge.op).toBe('challenge');
    const { clientFinal, expectedServerFinal } = scram.final(String(challenge.data));
    expect(await raw.request({ op: 'auth', rid: 3, data: clientFinal })).toMatchObject({
      op: 'error',
      rid: 3,
      code: 'NO_CHALLENGE',
    });
    expect(await raw.request({ op: 'auth', rid: 2, data: clientFinal })).toMatchObject({
      op: 'ack',
      rid: 2,
      user: 'alice',
      data: expectedServerFinal,
    });
    // After the logon: nothing to answer.
    expect(await raw.request({ op: 'auth', rid: 2, data: clientFinal })).toMatchObject({
      op: 'error',
      rid: 2,
      code: 'NO_CHALLENGE',
    });
    expect(await raw.request({ op: 'ping', rid: 4 })).toEqual({ op: 'ack', rid: 4 });
  });
});

describe('users: SCRAM-SHA-256 edge cases', () => {
  it('user names with "," and "=" (escaped in the SCRAM message) and NFKC-equivalent passwords', async () => {
    const composed = 'caf\u00e9-pw';
    const decomposed = 'cafe\u0301-pw';
    const entry = {
      name: 'o,dd=name',
      hash: await hashPassword(composed, CHEAP_SCRYPT),
      scram: scramCredentials(composed),
    };
    const tb = await res.broker({ security: { authentication: { module: 'users', options: { users: [entry] } } } });
    expect(
      (await res.client(tb.url, { user: 'o,dd=name', password: decomposed, mechanism: 'SCRAM-SHA-256' })).user,
    ).toBe('o,dd=name');
    expect((await res.client(tb.url, { user: 'o,dd=name', password: decomposed })).user).toBe('o,dd=name');
    expect((await res.client(tb.url, { user: 'o,dd=name', password: composed, mechanism: 'SCRAM-SHA-256' })).user).toBe(
      'o,dd=name',
    );
    expect(
      await refusal(res.client(tb.url, { user: 'o,dd=name', password: 'cafe-pw', mechanism: 'SCRAM-SHA-256' })),
    ).toBe('LOGON_FAILED');
  });

  it('accepts the GS2 header "y,," (with c= carrying it)', async () => {
    const tb = await usersBroker();
    const raw = await res.raw(tb.url);
    const scram = scramClient('alice', 'alice-pw', undefined, 'y,,');
    raw.send({ op: 'logon', rid: 1, user: 'alice', mechanism: 'SCRAM-SHA-256', data: scram.clientFirst });
    const challenge = await raw.next((f) => f.rid === 1);
    const { clientFinal } = scram.final(String(challenge.data));
    expect(clientFinal.startsWith('c=eSws,')).toBe(true);
    expect(await raw.request({ op: 'auth', rid: 1, data: clientFinal })).toMatchObject({
      op: 'ack',
      rid: 1,
      user: 'alice',
    });
  });

  it('refuses channel binding, an authorization identity and mandatory extensions at the first message', async () => {
    const tb = await usersBroker();
    for (const data of [
      'p=tls-server-end-point,,n=alice,r=abcdefgh',
      'n,a=admin,n=alice,r=abcdefgh',
      'n,,m=ext,n=alice,r=abcdefgh',
      'n,,n=,r=abcdefgh',
      'garbage',
    ]) {
      await expectRawLogonRefused(await res.raw(tb.url), { user: '', mechanism: 'SCRAM-SHA-256', data });
    }
  });

  it('refuses a client-final-message whose c= does not repeat the GS2 header', async () => {
    const tb = await usersBroker();
    const raw = await res.raw(tb.url);
    const scram = scramClient('alice', 'alice-pw');
    raw.send({ op: 'logon', rid: 1, user: 'alice', mechanism: 'SCRAM-SHA-256', data: scram.clientFirst });
    const challenge = await raw.next((f) => f.rid === 1);
    const { clientFinal } = scram.final(String(challenge.data));
    expect(await raw.request({ op: 'auth', rid: 1, data: clientFinal.replace('c=biws', 'c=eSws') })).toMatchObject({
      op: 'error',
      code: 'LOGON_FAILED',
    });
    expect((await raw.closed).code).toBe(4003);
  });

  it('a second logon while challenged is ALREADY_LOGGED_ON, and the challenge can still be answered', async () => {
    const tb = await usersBroker();
    const raw = await res.raw(tb.url);
    const scram = scramClient('alice', 'alice-pw');
    raw.send({ op: 'logon', rid: 1, user: 'alice', mechanism: 'SCRAM-SHA-256', data: scram.clientFirst });
    const challenge = await raw.next((f) => f.rid === 1);
    expect(await raw.request({ op: 'logon', rid: 2, user: 'bob', password: 'bob-pw' })).toMatchObject({
      op: 'error',
      rid: 2,
      code: 'ALREADY_LOGGED_ON',
    });
    const { clientFinal } = scram.final(String(challenge.data));
    expect(await raw.request({ op: 'auth', rid: 1, data: clientFinal })).toMatchObject({
      op: 'ack',
      rid: 1,
      user: 'alice',
    });
  });

  it('an unanswered challenge ends with the logon timeout (4002), not before', async () => {
    const timers = new ManualTimers();
    const tb = await res.broker({
      security: { authentication: { module: 'users', options: { users } } },
      listener: { logonTimeoutMs: 1000 },
      timers,
    });
    const raw = await res.raw(tb.url);
    const scram = scramClient('alice', 'alice-pw');
    raw.send({ op: 'logon', rid: 1, user: 'alice', mechanism: 'SCRAM-SHA-256', data: scram.clientFirst });
    expect(await raw.next()).toMatchObject({ op: 'challenge', rid: 1 });
    timers.advance(999);
    expect(tb.broker.stats().logonTimeouts).toBe(0);
    timers.advance(1);
    expect(tb.broker.stats().logonTimeouts).toBe(1);
    expect((await raw.closed).code).toBe(4002);
    expect(raw.frames).toEqual([]); // nothing after the challenge
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
