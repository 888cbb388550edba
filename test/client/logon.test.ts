// Logon mechanisms against a scripted fake broker: what each mechanism puts on the wire, the
// SCRAM-SHA-256 exchange (including a fake broker that cannot prove itself), and reconnects.
import { describe, expect, it, vi } from 'vitest';
import {
  ClientErrorCodes,
  CloseCodes,
  ErrorCodes,
  WardenError,
  connect,
  type ConnectOptions,
  type Encoding,
} from '../../client/index.js';
import { nextEvent, recordEvents, rejectionOf, useScriptedServers } from './helpers.js';
import { ScramServerExchange } from './scram-server.js';
import type { Frame, ScriptedConnection } from './scripted-server.js';

const { serve, open } = useScriptedServers();

/** Records every frame of every connection, and acks whatever has a rid. */
function recordingBroker(frames: Frame[]) {
  return (connection: ScriptedConnection): void => {
    connection.onFrame((frame) => frames.push(frame));
    connection.ackEverything();
  };
}

interface ScramScript {
  /** The password the broker holds credentials for. */
  password: string;
  iterations?: number;
  /** Replaces the broker's server-final-message (undefined: leave `data` off the ack). */
  serverFinal?: (real: string) => string | undefined;
  /** Every frame the broker received, in order. */
  frames?: Frame[];
  /** The broker's close code, once the connection closed. */
  closeCodes?: number[];
}

/** A broker running the server side of SCRAM-SHA-256, then acking everything. */
function scramBroker(script: ScramScript) {
  return (connection: ScriptedConnection): void => {
    const exchange = new ScramServerExchange({
      password: script.password,
      ...(script.iterations === undefined ? {} : { iterations: script.iterations }),
    });
    connection.socket.once('close', (code: number) => script.closeCodes?.push(code));
    connection.onFrame((frame) => {
      script.frames?.push(frame);
      if (frame.op === 'logon') {
        connection.send({ op: 'challenge', rid: frame.rid, data: exchange.first(frame.data as string) });
      } else if (frame.op === 'auth') {
        const serverFinal = exchange.final(frame.data as string);
        if (serverFinal === undefined) {
          connection.send({
            op: 'error',
            rid: frame.rid,
            code: ErrorCodes.LOGON_FAILED,
            message: 'logon failed',
            cmd: 'auth',
          });
          connection.socket.close(CloseCodes.LOGON_FAILED, 'logon failed');
          return;
        }
        const data = script.serverFinal === undefined ? serverFinal : script.serverFinal(serverFinal);
        connection.send({
          op: 'ack',
          rid: frame.rid,
          user: 'alice',
          session: `s${connection.index}`,
          ...(data === undefined ? {} : { data }),
        });
      } else if (frame.rid !== undefined) {
        connection.send({ op: 'ack', rid: frame.rid });
      }
    });
  };
}

describe.each<Encoding>(['msgpack', 'json'])('logon mechanisms over %s', (encoding) => {
  const base = { user: 'alice', encoding, reconnect: { initialDelayMs: 10, maxDelayMs: 50 } } satisfies ConnectOptions;

  it('password (the default without a token): sends the password and mechanism "password"', async () => {
    const frames: Frame[] = [];
    const server = await serve(recordingBroker(frames));
    await open(server.url, { ...base, password: 'pw' });
    await open(server.url, { ...base, password: 'pw', mechanism: 'password', token: 'ignored' });
    const logon = { op: 'logon', rid: expect.any(Number), user: 'alice', password: 'pw', mechanism: 'password' };
    expect(frames).toEqual([logon, logon]);
  });

  it('token (the default with a token): sends the token and mechanism "token", never the password', async () => {
    const frames: Frame[] = [];
    const server = await serve(recordingBroker(frames));
    await open(server.url, { ...base, token: 'tkn' });
    await open(server.url, { ...base, token: 'tkn', password: 'pw' });
    await open(server.url, { ...base, token: 'tkn', mechanism: 'token' });
    const logon = { op: 'logon', rid: expect.any(Number), user: 'alice', token: 'tkn', mechanism: 'token' };
    expect(frames).toEqual([logon, logon, logon]);
  });

  it('no credentials: a bare logon, the broker decides', async () => {
    const frames: Frame[] = [];
    const server = await serve(recordingBroker(frames));
    await open(server.url, base);
    expect(frames).toEqual([{ op: 'logon', rid: expect.any(Number), user: 'alice' }]);
  });

  it('no user name: the logon leaves the key out, and the identity is the one the broker answers', async () => {
    const frames: Frame[] = [];
    const server = await serve((connection) =>
      connection.onFrame((frame) => {
        frames.push(frame);
        connection.send({ op: 'ack', rid: frame.rid, user: 'from-certificate', session: 's' });
      }),
    );
    const { user: _, ...nameless } = base;
    const client = await open(server.url, nameless);
    await open(server.url, { ...nameless, password: 'pw' });
    await open(server.url, { ...nameless, token: 'tkn' });
    const rid = expect.any(Number);
    expect(frames).toEqual([
      { op: 'logon', rid },
      { op: 'logon', rid, password: 'pw', mechanism: 'password' },
      { op: 'logon', rid, token: 'tkn', mechanism: 'token' },
    ]);
    expect(client.user).toBe('from-certificate');
  });

  it('fails the connect when a password or token logon is answered with a challenge', async () => {
    const closeCodes: number[] = [];
    const server = await serve((connection) => {
      connection.socket.once('close', (code: number) => closeCodes.push(code));
      connection.onFrame((frame) => connection.send({ op: 'challenge', rid: frame.rid, data: 'r=abc' }));
    });
    for (const options of [{ password: 'pw' }, { token: 'tkn' }]) {
      const error = await rejectionOf(open(server.url, { ...base, ...options }));
      expect(error).toBeInstanceOf(WardenError);
      expect(error).toMatchObject({ code: ClientErrorCodes.SERVER_AUTHENTICATION_FAILED, cmd: 'logon' });
      expect((error as WardenError).message).toMatch(/challenge/);
    }
    await expect.poll(() => closeCodes).toEqual([CloseCodes.POLICY_VIOLATION, CloseCodes.POLICY_VIOLATION]);
  });

  it('rejects a challenge answering anything but a logon with BAD_FRAME', async () => {
    const server = await serve((connection) =>
      connection.ackEverything((frame) => {
        if (frame.op !== 'ping') return false;
        connection.send({ op: 'challenge', rid: frame.rid, data: 'x' });
        return true;
      }),
    );
    const client = await open(server.url, { ...base, password: 'pw' });
    expect(await rejectionOf(client.ping())).toMatchObject({ code: ErrorCodes.BAD_FRAME, cmd: 'ping' });
    expect(client.state).toBe('connected');
  });

  describe('SCRAM-SHA-256', () => {
    const scram = { ...base, password: 'pencil', mechanism: 'SCRAM-SHA-256' } satisfies ConnectOptions;

    it('logs on without the password crossing the wire', async () => {
      const frames: Frame[] = [];
      const server = await serve(scramBroker({ password: 'pencil', frames }));
      const client = await open(server.url, scram);
      expect(client.state).toBe('connected');
      expect(client.user).toBe('alice');
      expect(client.session).toBe('s0');
      const [logon, auth] = frames;
      expect(logon).toEqual({
        op: 'logon',
        rid: expect.any(Number),
        user: 'alice',
        mechanism: 'SCRAM-SHA-256',
        data: expect.stringMatching(/^n,,n=alice,r=[A-Za-z0-9+/]{24}$/),
      });
      // The auth answers the challenge with the logon's rid.
      expect(auth).toEqual({
        op: 'auth',
        rid: logon!.rid,
        data: expect.stringMatching(/^c=biws,r=[^,]+,p=[A-Za-z0-9+/]+=*$/),
      });
      expect(JSON.stringify(frames)).not.toContain('pencil');
      await client.ping();
    });

    it('escapes the user name in the client-first-message, not in the logon', async () => {
      const frames: Frame[] = [];
      const server = await serve(scramBroker({ password: 'pencil', frames }));
      await open(server.url, { ...scram, user: 'a,b=c' });
      expect(frames[0]).toMatchObject({ user: 'a,b=c', data: expect.stringMatching(/^n,,n=a=2Cb=3Dc,r=/) });
    });

    it('rejects with LOGON_FAILED when the broker refuses the proof (wrong password)', async () => {
      const server = await serve(scramBroker({ password: 'pencil' }));
      const error = await rejectionOf(open(server.url, { ...scram, password: 'crayon' }));
      expect(error).toBeInstanceOf(WardenError);
      expect(error).toMatchObject({ code: ErrorCodes.LOGON_FAILED, cmd: 'auth' });
    });

    it('rejects with SERVER_AUTHENTICATION_FAILED and closes (1008) when the server signature is wrong', async () => {
      const closeCodes: number[] = [];
      // A well-formed signature of the right length, just not the one the credentials give.
      const server = await serve(
        scramBroker({
          password: 'pencil',
          closeCodes,
          serverFinal: () => `v=${Buffer.alloc(32, 7).toString('base64')}`,
        }),
      );
      const error = await rejectionOf(open(server.url, scram));
      expect(error).toBeInstanceOf(WardenError);
      expect(error).toMatchObject({ code: ClientErrorCodes.SERVER_AUTHENTICATION_FAILED, cmd: 'logon' });
      expect((error as WardenError).message).toMatch(/server signature is wrong/);
      await expect.poll(() => closeCodes).toEqual([CloseCodes.POLICY_VIOLATION]);
    });

    it('rejects with SERVER_AUTHENTICATION_FAILED when the ack carries no server signature', async () => {
      const server = await serve(scramBroker({ password: 'pencil', serverFinal: () => undefined }));
      const error = await rejectionOf(open(server.url, scram));
      expect(error).toMatchObject({ code: ClientErrorCodes.SERVER_AUTHENTICATION_FAILED });
      expect((error as WardenError).message).toMatch(/without a server signature/);
    });

    it('rejects with SERVER_AUTHENTICATION_FAILED when the broker skips the exchange (acks the logon)', async () => {
      const server = await serve((connection) => connection.ackEverything());
      const error = await rejectionOf(open(server.url, scram));
      expect(error).toMatchObject({ code: ClientErrorCodes.SERVER_AUTHENTICATION_FAILED, cmd: 'logon' });
      expect((error as WardenError).message).toMatch(/without running the exchange/);
    });

    it('refuses a low iteration count without answering the challenge', async () => {
      const frames: Frame[] = [];
      const server = await serve(scramBroker({ password: 'pencil', iterations: 1000, frames }));
      const error = await rejectionOf(open(server.url, scram));
      expect(error).toMatchObject({ code: ClientErrorCodes.SERVER_AUTHENTICATION_FAILED });
      expect((error as WardenError).message).toMatch(/iteration count 1000/);
      expect(frames.map((frame) => frame.op)).toEqual(['logon']);
    });

    it('runs a new exchange (new nonce) on every reconnect', async () => {
      const frames: Frame[] = [];
      const server = await serve(scramBroker({ password: 'pencil', frames }));
      const client = await open(server.url, scram);
      await client.subscribe({ topic: 't' }, () => {});
      const connected = nextEvent(client, 'connected');
      server.dropAll();
      expect(await connected).toMatchObject({ reconnected: true, user: 'alice', session: 's1' });
      const logons = frames.filter((frame) => frame.op === 'logon');
      expect(logons).toHaveLength(2);
      expect(logons[0]!.data).not.toBe(logons[1]!.data);
      expect(frames.map((frame) => frame.op)).toEqual(['logon', 'auth', 'subscribe', 'logon', 'auth', 'subscribe']);
    });

    it('stops reconnecting when the broker fails to authenticate itself on a reconnect', async () => {
      const server = await serve((connection) =>
        scramBroker({ password: 'pencil', ...(connection.index === 0 ? {} : { serverFinal: () => 'v=AAAA' }) })(
          connection,
        ),
      );
      const client = await open(server.url, scram);
      const events = recordEvents(client, ['disconnected', 'reconnecting', 'error', 'connected']);
      const final = nextEvent(client, 'disconnected', (event) => !event.willReconnect);
      server.dropAll();
      await final;
      expect(client.state).toBe('closed');
      expect(events.map(([name]) => name)).toEqual(['disconnected', 'reconnecting', 'error', 'disconnected']);
      expect(events[2]![1]).toMatchObject({ code: ClientErrorCodes.SERVER_AUTHENTICATION_FAILED });
      expect(events[3]![1]).toMatchObject({ code: CloseCodes.POLICY_VIOLATION, willReconnect: false });
    });

    it('close() during a reconnect SCRAM exchange stops it (no auth is sent)', async () => {
      const frames: Frame[] = [];
      let sawChallenge!: () => void;
      const challengeSent = new Promise<void>((resolve) => (sawChallenge = resolve));
      const server = await serve((connection) => {
        if (connection.index === 0) return scramBroker({ password: 'pencil' })(connection);
        // The most iterations the SDK accepts: hashing takes a while, close() lands meanwhile.
        scramBroker({ password: 'pencil', iterations: 1_000_000, frames })(connection);
        connection.onFrame((frame) => frame.op === 'logon' && setImmediate(sawChallenge));
      });
      const client = await open(server.url, scram);
      const events = recordEvents(client, ['connected', 'error']);
      server.dropAll();
      await challengeSent;
      await client.close();
      expect(client.state).toBe('closed');
      expect(events).toEqual([]);
      expect(frames.map((frame) => frame.op)).toEqual(['logon']);
    });

    it('stops reconnecting when the re-logon proof is refused', async () => {
      let password = 'pencil';
      const server = await serve((connection) => scramBroker({ password })(connection));
      const client = await open(server.url, scram);
      const errors = recordEvents(client, ['error']);
      const final = nextEvent(client, 'disconnected', (event) => !event.willReconnect);
      password = 'changed';
      server.dropAll();
      expect(await final).toMatchObject({ code: CloseCodes.LOGON_FAILED });
      expect(errors).toEqual([['error', expect.objectContaining({ code: ErrorCodes.LOGON_FAILED })]]);
    });
  });
});

describe('logon option checks', () => {
  // Nothing listens there: the options are refused before any socket is opened.
  const url = 'ws://127.0.0.1:9/';

  it.each<[string, Partial<ConnectOptions>, RegExp]>([
    ['token without a token', { mechanism: 'token', password: 'pw' }, /needs options.token/],
    ['password without a password', { mechanism: 'password', token: 'tkn' }, /needs options.password/],
    ['SCRAM without a password', { mechanism: 'SCRAM-SHA-256' }, /non-empty options.password/],
    ['SCRAM with an empty password', { mechanism: 'SCRAM-SHA-256', password: '' }, /non-empty options.password/],
    [
      'an unknown mechanism',
      { mechanism: 'PLAIN' as never, password: 'pw' },
      /must be one of 'password', 'token', 'SCRAM-SHA-256'/,
    ],
    ['a password that is not a string', { password: 42 as never }, /options.password must be a string/],
  ])('refuses %s', async (_, options, message) => {
    const error = await rejectionOf(connect(url, { user: 'alice', ...options }));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toMatch(message);
  });

  it('refuses SCRAM-SHA-256 where WebCrypto is missing (a browser page that is not a secure context)', async () => {
    vi.stubGlobal('crypto', undefined);
    try {
      const error = await rejectionOf(connect(url, { user: 'alice', password: 'pw', mechanism: 'SCRAM-SHA-256' }));
      expect(error).toBeInstanceOf(TypeError);
      expect((error as TypeError).message).toMatch(/secure contexts/);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
