// connect() without options.user, against real brokers: an implicit-logon listener takes it (and
// connect(url) needs no options at all), a listener that needs a name refuses it with an error
// that says so, and SCRAM, whose exchange is about a named user, refuses it before any socket.
// (Certificate logons without a user name: test/tls/client-certificates.test.ts.)
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client, ErrorCodes, WardenError, connect, type ConnectOptions } from '../../client/index.js';
import { hashPassword } from '../../server/security/authentication/password-hash.js';
import { Fixture, Inbox, rejectionOf } from './helpers.js';

const fixture = new Fixture();
afterEach(() => fixture.teardown());

/** The `users` module with alice: a listener that needs a user name. */
let usersSecurity: Record<string, unknown>;
beforeAll(async () => {
  // Cheap scrypt parameters: the tests are about the user name, not the hash's cost.
  const hash = await hashPassword('pw', { N: 1024, r: 8, p: 1 });
  usersSecurity = { authentication: { module: 'users', options: { users: [{ name: 'alice', hash }] } } };
});

const NEEDS_A_NAME =
  'logon refused: no user name was given, and this broker needs one (options.user) unless the listener identifies clients by their certificate (tls-cert) or logs them on implicitly';

describe('connect() without a user name', () => {
  it('logs on to an implicit-logon listener, with no options at all', async () => {
    const { url } = await fixture.broker({ security: { authentication: { module: 'implicit' } } });
    const client = fixture.track(await connect(url));
    expect(client.user).toBe('');
    expect(client.state).toBe('connected');
    const inbox = new Inbox();
    await client.subscribe({ topic: 'news/#' }, inbox.handler);
    await client.publish('news/1', { hi: true }, { ack: true });
    const [message] = await inbox.waitForCount(1);
    expect(message!.json()).toEqual({ hi: true });
  });

  it.each<[string, ConnectOptions | undefined]>([
    ['no options', undefined],
    ['a password', { password: 'pw' }],
  ])(
    'is refused where the listener needs a name (%s), with an error that says a user name is needed',
    async (_, options) => {
      const { url } = await fixture.broker({ security: usersSecurity });
      const error = await rejectionOf(connect(url, options));
      expect(error).toBeInstanceOf(WardenError);
      expect(error).toMatchObject({ code: ErrorCodes.LOGON_FAILED, cmd: 'logon', message: NEEDS_A_NAME });
      // The broker's own refusal, unchanged, is the cause.
      expect((error as WardenError).cause).toMatchObject({ code: ErrorCodes.LOGON_FAILED, message: 'logon refused' });
      // With the name, the same listener lets alice in.
      const alice = fixture.track(await connect(url, { user: 'alice', password: 'pw' }));
      expect(alice.user).toBe('alice');
    },
  );

  it("keeps the broker's message when a user name was given: a refusal then says nothing about names", async () => {
    const { url } = await fixture.broker({ security: usersSecurity });
    expect(await rejectionOf(connect(url, { user: 'alice', password: 'wrong' }))).toMatchObject({
      code: ErrorCodes.LOGON_FAILED,
      message: 'logon refused',
    });
  });

  it('is a TypeError for SCRAM-SHA-256, whose exchange names the user, and for a user that is not a string', () => {
    expect(() => new Client('ws://127.0.0.1:1/', { password: 'pw', mechanism: 'SCRAM-SHA-256' })).toThrow(
      new TypeError("mechanism 'SCRAM-SHA-256' needs a non-empty options.user"),
    );
    expect(() => new Client('ws://127.0.0.1:1/', { user: 7 as unknown as string })).toThrow(
      new TypeError('options.user must be a string'),
    );
    expect(() => new Client('ws://127.0.0.1:1/', null as unknown as ConnectOptions)).toThrow(
      new TypeError('options must be an object'),
    );
  });
});
