// Client behaviour for broker answers the real broker never gives today (it accepts every logon):
// refused logons and resubscribes, silence (timeouts), garbage frames. A scripted fake broker.
import { describe, expect, it } from 'vitest';
import {
  ClientErrorCodes,
  CloseCodes,
  ErrorCodes,
  WardenError,
  type ConnectOptions,
  type Encoding,
} from '../../client/index.js';
import { Inbox, nextEvent, recordEvents, rejectionOf, useScriptedServers } from './helpers.js';
import type { ScriptedConnection } from './scripted-server.js';

const { serve, open } = useScriptedServers();

describe.each<Encoding>(['msgpack', 'json'])('client SDK edge cases over %s', (encoding) => {
  const options: ConnectOptions = {
    user: 'alice',
    password: 'pw',
    encoding,
    reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
  };

  it('rejects connect with LOGON_FAILED when the logon is refused, and sends the credentials', async () => {
    const logons: unknown[] = [];
    const server = await serve((connection) =>
      connection.onFrame((frame) => {
        logons.push(frame);
        connection.send({
          op: 'error',
          rid: frame.rid,
          code: ErrorCodes.LOGON_FAILED,
          message: 'bad password',
          cmd: 'logon',
        });
      }),
    );
    const error = await rejectionOf(open(server.url, options));
    expect(error).toBeInstanceOf(WardenError);
    expect(error).toMatchObject({ code: ErrorCodes.LOGON_FAILED, cmd: 'logon', message: 'bad password' });
    expect(logons).toEqual([
      { op: 'logon', rid: expect.any(Number), user: 'alice', password: 'pw', mechanism: 'password' },
    ]);
  });

  it('rejects connect with LOGON_FAILED when the broker refuses and then closes with 4003', async () => {
    let closeCode: number | undefined;
    let serverSide: ScriptedConnection | undefined;
    const server = await serve((connection) => {
      serverSide = connection;
      connection.socket.once('close', (code: number) => (closeCode = code));
      connection.onFrame((frame) => {
        // What the broker does: the error frame, then the close right behind it.
        connection.send({
          op: 'error',
          rid: frame.rid,
          code: ErrorCodes.LOGON_FAILED,
          message: 'bad password',
          cmd: 'logon',
        });
        connection.socket.close(CloseCodes.LOGON_FAILED, 'logon failed');
      });
    });
    const error = await rejectionOf(open(server.url, options));
    expect(error).toBeInstanceOf(WardenError);
    expect(error).toMatchObject({ code: ErrorCodes.LOGON_FAILED, cmd: 'logon', message: 'bad password' });
    await serverSide!.closed;
    expect(closeCode).toBe(CloseCodes.LOGON_FAILED);
  });

  it('rejects connect with LOGON_FAILED when the broker closes with 4003 without an error frame', async () => {
    const server = await serve((connection) =>
      connection.onFrame(() => connection.socket.close(CloseCodes.LOGON_FAILED, 'no entry')),
    );
    const error = await rejectionOf(open(server.url, options));
    expect(error).toBeInstanceOf(WardenError);
    expect(error).toMatchObject({ code: ErrorCodes.LOGON_FAILED, cmd: 'logon' });
    expect((error as WardenError).message).toMatch(/4003: no entry/);
  });

  it('stops reconnecting when the re-logon is refused', async () => {
    const server = await serve((connection) => {
      if (connection.index === 0) return connection.ackEverything();
      connection.onFrame((frame) => {
        connection.send({
          op: 'error',
          rid: frame.rid,
          code: ErrorCodes.LOGON_FAILED,
          message: 'revoked',
          cmd: 'logon',
        });
        connection.socket.close(CloseCodes.LOGON_FAILED, 'logon failed');
      });
    });
    const client = await open(server.url, options);
    const events = recordEvents(client, ['disconnected', 'reconnecting', 'error', 'connected']);
    const final = nextEvent(client, 'disconnected', (event) => !event.willReconnect);
    server.dropAll();
    await final;
    expect(client.state).toBe('closed');
    expect(events.map(([name]) => name)).toEqual(['disconnected', 'reconnecting', 'error', 'disconnected']);
    expect(events[0]![1]).toMatchObject({ willReconnect: true, code: 1006 });
    expect(events[2]![1]).toMatchObject({ code: ErrorCodes.LOGON_FAILED });
    expect(events[3]![1]).toMatchObject({ willReconnect: false, code: CloseCodes.LOGON_FAILED });
  });

  it('retries a re-logon refused with AUTHENTICATION_UNAVAILABLE (the module failed, not the credentials)', async () => {
    const server = await serve((connection) => {
      if (connection.index === 1) {
        connection.onFrame((frame) => {
          connection.send({
            op: 'error',
            rid: frame.rid,
            code: ErrorCodes.AUTHENTICATION_UNAVAILABLE,
            message: 'timeout',
            cmd: 'logon',
          });
          connection.socket.close(CloseCodes.LOGON_FAILED, 'logon failed');
        });
        return;
      }
      connection.ackEverything();
    });
    const client = await open(server.url, options);
    const events = recordEvents(client, ['reconnecting', 'error', 'connected']);
    const connected = nextEvent(client, 'connected');
    server.dropAll();
    expect(await connected).toMatchObject({ reconnected: true, session: 's2' });
    expect(events.map(([name]) => name)).toEqual(['reconnecting', 'reconnecting', 'connected']);
  });

  it('reconnects after an entitlements reset (4004), dropping subscriptions now refused with NOT_ENTITLED', async () => {
    let refusedSid: number | undefined;
    const server = await serve((connection) => {
      if (connection.index === 0) {
        connection.ackEverything();
        connection.onFrame((frame) => {
          if (frame.op === 'ping') connection.socket.close(CloseCodes.ENTITLEMENTS_RESET, 'entitlements reset');
        });
        return;
      }
      connection.ackEverything((frame) => {
        if (frame.op !== 'subscribe' || frame.sid !== refusedSid) return false;
        connection.send({
          op: 'error',
          rid: frame.rid,
          code: ErrorCodes.NOT_ENTITLED,
          message: 'no read on b',
          cmd: 'subscribe',
        });
        return true;
      });
    });
    const client = await open(server.url, options);
    const kept = await client.subscribe({ topic: 'a' }, () => {});
    const refused = await client.subscribe({ topic: 'b' }, () => {});
    refusedSid = refused.id;
    const events = recordEvents(client, ['disconnected', 'reconnecting', 'error', 'connected']);
    const connected = nextEvent(client, 'connected');
    void client.ping().catch(() => {}); // the scripted broker answers it with the reset
    expect(await connected).toMatchObject({ reconnected: true, session: 's1' });
    expect(events.map(([name]) => name)).toEqual(['disconnected', 'reconnecting', 'error', 'connected']);
    expect(events[0]![1]).toEqual({
      code: CloseCodes.ENTITLEMENTS_RESET,
      reason: 'entitlements reset',
      willReconnect: true,
    });
    expect(events[2]![1]).toMatchObject({ code: ErrorCodes.NOT_ENTITLED, cmd: 'subscribe' });
    expect(kept.active).toBe(true);
    expect(refused.active).toBe(false);
    expect(client.state).toBe('connected');
  });

  it('with reconnect off, an entitlements reset (4004) closes the client', async () => {
    const server = await serve((connection) => {
      connection.ackEverything();
      connection.onFrame((frame) => {
        if (frame.op === 'ping') connection.socket.close(CloseCodes.ENTITLEMENTS_RESET, 'entitlements reset');
      });
    });
    const client = await open(server.url, { ...options, reconnect: false });
    const disconnected = nextEvent(client, 'disconnected');
    void client.ping().catch(() => {});
    expect(await disconnected).toEqual({
      code: CloseCodes.ENTITLEMENTS_RESET,
      reason: 'entitlements reset',
      willReconnect: false,
    });
    expect(client.state).toBe('closed');
  });

  it('retries a transient logon refusal (SHUTTING_DOWN)', async () => {
    const server = await serve((connection) => {
      if (connection.index === 1) {
        connection.onFrame((frame) =>
          connection.send({ op: 'error', rid: frame.rid, code: ErrorCodes.SHUTTING_DOWN, message: 'bye' }),
        );
        return;
      }
      connection.ackEverything();
    });
    const client = await open(server.url, options);
    const events = recordEvents(client, ['reconnecting', 'error', 'connected']);
    const connected = nextEvent(client, 'connected');
    server.dropAll();
    expect(await connected).toMatchObject({ reconnected: true, session: 's2' });
    expect(events.map(([name]) => name)).toEqual(['reconnecting', 'reconnecting', 'connected']);
  });

  it('drops a subscription whose resubscribe is refused, keeps the others', async () => {
    let refusedSid: number | undefined;
    const server = await serve((connection) => {
      if (connection.index === 0) return connection.ackEverything();
      connection.ackEverything((frame) => {
        if (frame.op !== 'subscribe' || frame.sid !== refusedSid) return false;
        connection.send({
          op: 'error',
          rid: frame.rid,
          code: ErrorCodes.TOO_MANY_SUBSCRIPTIONS,
          message: 'full',
          cmd: 'subscribe',
        });
        return true;
      });
      // Proves the kept subscription is wired up on the new connection with its old sid.
      connection.onFrame((frame) => {
        if (frame.op === 'publish') connection.send({ op: 'msg', sids: [0, 1], topic: frame.topic, data: frame.data });
      });
    });
    const client = await open(server.url, options);
    const keptInbox = new Inbox();
    const kept = await client.subscribe({ topic: 'a' }, keptInbox.handler);
    const refused = await client.subscribe({ regex: '^b$' });
    refusedSid = refused.id;
    const events = recordEvents(client, ['error', 'connected']);
    const connected = nextEvent(client, 'connected');
    server.dropAll();
    await connected;
    expect(events.map(([name]) => name)).toEqual(['error', 'connected']);
    expect(events[0]![1]).toMatchObject({ code: ErrorCodes.TOO_MANY_SUBSCRIPTIONS, cmd: 'subscribe' });
    expect(kept.active).toBe(true);
    expect(refused.active).toBe(false);
    // The dropped subscription's iteration ends with the refusal.
    const iteration = rejectionOf(
      (async () => {
        for await (const _ of refused) void _;
      })(),
    );
    expect(await iteration).toMatchObject({ code: ErrorCodes.TOO_MANY_SUBSCRIPTIONS });

    await client.publish('a', 'x');
    const [message] = await keptInbox.waitForCount(1);
    expect(message).toMatchObject({ topic: 'a', data: 'x', subscriptionIds: [0, 1] });
  });

  it('re-sends subscriptions with the same sid and spec after a reconnect', async () => {
    const subscribes: unknown[][] = [[], []];
    const server = await serve((connection) => {
      connection.ackEverything();
      connection.onFrame((frame) => {
        if (frame.op === 'subscribe') subscribes[connection.index]?.push({ ...frame, rid: undefined });
      });
    });
    const client = await open(server.url, options);
    await client.subscribe({ topic: 'orders/+' }, () => {});
    await client.subscribe({ regex: '^x$', bufferSize: 3 });
    const connected = nextEvent(client, 'connected');
    server.dropAll();
    await connected;
    expect(subscribes[0]).toEqual([
      { op: 'subscribe', sid: 0, topic: 'orders/+', rid: undefined },
      { op: 'subscribe', sid: 1, regex: '^x$', rid: undefined },
    ]);
    expect(subscribes[1]).toEqual(subscribes[0]);
  });

  it('rejects an unanswered request with TIMEOUT and stays connected', async () => {
    const server = await serve((connection) => connection.ackEverything((frame) => frame.op === 'ping'));
    const client = await open(server.url, { ...options, requestTimeoutMs: 100 });
    const error = await rejectionOf(client.ping());
    expect(error).toBeInstanceOf(WardenError);
    expect(error).toMatchObject({ code: ClientErrorCodes.TIMEOUT, cmd: 'ping' });
    expect(client.state).toBe('connected');
    await client.publish('t', 1, { ack: true });
  });

  it('rejects connect with TIMEOUT when the logon is never answered', async () => {
    const server = await serve(() => {});
    const error = await rejectionOf(open(server.url, { ...options, requestTimeoutMs: 100 }));
    expect(error).toMatchObject({ code: ClientErrorCodes.TIMEOUT, cmd: 'logon' });
  });

  it('rejects connect with CONNECTION_FAILED when the broker closes during logon', async () => {
    const server = await serve((connection) => connection.onFrame(() => connection.socket.close(1011, 'oops')));
    const error = await rejectionOf(open(server.url, options));
    expect(error).toMatchObject({ code: ClientErrorCodes.CONNECTION_FAILED, cmd: 'logon' });
  });

  it('rejects connect with CONNECTION_FAILED when the broker does not speak the subprotocol', async () => {
    const server = await serve(() => {}, { acceptSubprotocol: false });
    const error = await rejectionOf(open(server.url, options));
    expect(error).toMatchObject({ code: ClientErrorCodes.CONNECTION_FAILED });
  });

  it('reports error frames without a rid and undecodable frames as error events', async () => {
    const server = await serve((connection) => {
      connection.ackEverything();
      connection.onFrame((frame) => {
        if (frame.op !== 'publish') return;
        connection.send({ op: 'error', code: ErrorCodes.INVALID_TOPIC, message: 'nope', cmd: 'publish' });
        connection.socket.send(encoding === 'json' ? 'not json' : 'text on msgpack');
      });
    });
    const client = await open(server.url, options);
    const errors: WardenError[] = [];
    const two = new Promise<void>((resolve) => client.on('error', (error) => errors.push(error) === 2 && resolve()));
    await client.publish('t', 1);
    await two;
    expect(errors.map((error) => error.code)).toEqual([ErrorCodes.INVALID_TOPIC, ErrorCodes.BAD_FRAME]);
    expect(errors[0]!.cmd).toBe('publish');
    expect(client.state).toBe('connected');
  });

  it('close() while reconnecting stops at once (in the backoff or mid-logon)', async () => {
    // After the drop the server never answers a logon, so however short the jittered delay is,
    // the client is still reconnecting when close() comes.
    const server = await serve((connection) => {
      if (connection.index === 0) connection.ackEverything();
    });
    const client = await open(server.url, { ...options, reconnect: { initialDelayMs: 200, maxDelayMs: 200 } });
    const events = recordEvents(client, ['connected', 'disconnected', 'error', 'state']);
    const reconnecting = nextEvent(client, 'reconnecting');
    server.dropAll();
    await reconnecting;
    await client.close();
    expect(client.state).toBe('closed');
    expect(events).toEqual([
      ['state', { state: 'reconnecting', previous: 'connected' }],
      ['disconnected', expect.objectContaining({ willReconnect: true })],
      ['state', { state: 'closed', previous: 'reconnecting' }],
    ]);
  });

  it('close() mid-logon of a reconnect closes the new socket too', async () => {
    let sawSecondLogon!: (connection: ScriptedConnection) => void;
    const secondLogon = new Promise<ScriptedConnection>((resolve) => (sawSecondLogon = resolve));
    const server = await serve((connection) => {
      if (connection.index === 0) return connection.ackEverything();
      connection.onFrame(() => sawSecondLogon(connection)); // and never answers
    });
    const client = await open(server.url, { ...options, reconnect: { initialDelayMs: 1, maxDelayMs: 1 } });
    server.dropAll();
    const second = await secondLogon;
    expect(client.state).toBe('reconnecting');
    await client.close();
    await second.closed;
    expect(client.state).toBe('closed');
  });
});
