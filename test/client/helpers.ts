// Shared helpers for the client SDK tests: event waiting (never sleep to synchronise), message
// collection, teardown bookkeeping and a free-port finder.
import { createServer } from 'node:net';
import { afterEach } from 'vitest';
import { connect, type Client, type ClientEvents, type ConnectOptions, type Message } from '../../client/index.js';
// Type-only: the broker is loaded on first use, so tests that never start one (the scripted fake
// broker's, the pure ones) do not depend on the broker's sources at all.
import type { TestBroker, TestBrokerOverrides } from '../helpers/broker.js';
import { ScriptedServer, type ScriptedConnection } from './scripted-server.js';

/** Resolves with the next `event` of `client`; rejects after `timeoutMs` (an upper bound, generous for a loaded machine) so a missing event fails. */
export function nextEvent<K extends keyof ClientEvents>(
  client: Client,
  event: K,
  predicate: (payload: ClientEvents[K]) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no '${String(event)}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = client.on(event, (payload) => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

/** Collects every event of the given kinds in order, as [name, payload] pairs. */
export function recordEvents(
  client: Client,
  events: readonly (keyof ClientEvents)[],
): Array<[keyof ClientEvents, unknown]> {
  const log: Array<[keyof ClientEvents, unknown]> = [];
  for (const event of events) client.on(event, (payload) => log.push([event, payload]));
  return log;
}

/** A message handler plus a way to await the n-th message (or one matching a predicate). */
export class Inbox {
  readonly messages: Message[] = [];
  private waiters: Array<{ done: () => boolean; resolve: () => void }> = [];

  readonly handler = (message: Message): void => {
    this.messages.push(message);
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.done()) return true;
      waiter.resolve();
      return false;
    });
  };

  /** Resolves once `count` messages have arrived in total. */
  waitForCount(count: number, timeoutMs = 10_000): Promise<Message[]> {
    return this.waitUntil(() => this.messages.length >= count, `${count} messages`, timeoutMs).then(
      () => this.messages,
    );
  }

  /** Resolves with the first message (already received or future) matching `predicate`. */
  waitFor(predicate: (message: Message) => boolean, timeoutMs = 10_000): Promise<Message> {
    return this.waitUntil(() => this.messages.some(predicate), 'a matching message', timeoutMs).then(() =>
      this.messages.find(predicate)!,
    );
  }

  private waitUntil(done: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what} (have ${this.messages.length})`)),
        timeoutMs,
      );
      this.waiters.push({
        done,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}

/** Tracks brokers and clients a test opened, closing them all in `afterEach`. */
export class Fixture {
  private readonly brokers: TestBroker[] = [];
  private readonly clients: Client[] = [];

  async broker(overrides?: TestBrokerOverrides): Promise<TestBroker> {
    const { startTestBroker } = await import('../helpers/broker.js');
    const broker = await startTestBroker(overrides);
    this.brokers.push(broker);
    return broker;
  }

  async client(url: string, options: ConnectOptions): Promise<Client> {
    const client = await connect(url, options);
    this.clients.push(client);
    return client;
  }

  /** Registers a client created elsewhere for teardown. */
  track(client: Client): Client {
    this.clients.push(client);
    return client;
  }

  async teardown(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((client) => client.close()));
    await Promise.all(this.brokers.splice(0).map((broker) => broker.close()));
  }
}

/**
 * For tests against the scripted fake broker: `serve` starts one, `open` connects a client; after
 * each test the clients are closed, then the servers. Call at the top of a test file.
 */
export function useScriptedServers(): {
  serve(
    script: (connection: ScriptedConnection) => void,
    options?: { acceptSubprotocol?: boolean },
  ): Promise<ScriptedServer>;
  open(url: string, options: ConnectOptions): Promise<Client>;
} {
  const servers: ScriptedServer[] = [];
  const clients: Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  return {
    async serve(script, options) {
      const server = await ScriptedServer.start(script, options);
      servers.push(server);
      return server;
    },
    async open(url, options) {
      const client = await connect(url, options);
      clients.push(client);
      return client;
    },
  };
}

/** A TCP port with nothing listening on it (bound once by us, then released). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Settles with the rejection of `promise` (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}
