// Shared fixtures for the end-to-end security tests: everything a test starts (brokers, SDK
// clients, raw protocol clients, local HTTP services, temp dirs) is registered here and torn down
// after each test, in an order that never leaves a broker waiting on a hanging request.
import { rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect } from 'vitest';
import { Client, connect, WardenError, type ConnectOptions, type Message } from '../../../client/index.js';
import { startTestBroker, type TestBroker, type TestBrokerOverrides } from '../../helpers/broker.js';
import { Collector } from '../../helpers/collector.js';
import { RawClient, type Frame } from '../../helpers/raw-client.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

/** scrypt parameters cheap enough for tests (the format and checks are the same as production's). */
export const CHEAP_SCRYPT = { N: 1024, r: 8, p: 1 } as const;

export interface SeenRequest {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingMessage['headers'];
  /** The body parsed as JSON (undefined when empty). */
  readonly body: unknown;
}

export type ServiceHandler = (seen: SeenRequest, response: ServerResponse) => void;

export interface TestService {
  readonly url: string;
  readonly seen: SeenRequest[];
  /** Resolves once at least n requests have been received (event-driven). */
  received(n: number): Promise<void>;
}

export interface Resources {
  broker(overrides?: TestBrokerOverrides): Promise<TestBroker>;
  /** connect() with reconnection off unless asked; the client is closed after the test. */
  client(url: string, options: ConnectOptions): Promise<Client>;
  /** A raw protocol client (JSON encoding by default), closed after the test. */
  raw(url: string, encoding?: 'json' | 'msgpack'): Promise<RawClient>;
  /** A real HTTP service on 127.0.0.1:0; hanging requests are cut after the test. */
  service(handler: ServiceHandler): Promise<TestService>;
  tempDir(): TempDir;
}

/** Call at the top of a test file. */
export function useResources(): Resources {
  const clients: Client[] = [];
  const raws: RawClient[] = [];
  const servers: Server[] = [];
  const brokers: TestBroker[] = [];
  const dirs: string[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(raws.splice(0).map((c) => c.close()));
    // Cut hanging service requests first, so no module call keeps a broker waiting.
    await Promise.all(
      servers.splice(0).map((server) => {
        server.closeAllConnections();
        return new Promise<void>((resolve) => server.close(() => resolve()));
      }),
    );
    await Promise.all(brokers.splice(0).map((b) => b.close()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  return {
    async broker(overrides = {}) {
      const tb = await startTestBroker(overrides);
      brokers.push(tb);
      return tb;
    },
    async client(url, options) {
      const c = await connect(url, { reconnect: false, ...options });
      clients.push(c);
      return c;
    },
    async raw(url, encoding = 'json') {
      const c = await RawClient.open(url, encoding);
      raws.push(c);
      return c;
    },
    async service(handler) {
      const seen: SeenRequest[] = [];
      const counter = new Collector<SeenRequest>();
      const server = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const entry: SeenRequest = {
            method: request.method,
            url: request.url,
            headers: request.headers,
            body: text === '' ? undefined : (JSON.parse(text) as unknown),
          };
          seen.push(entry);
          counter.push(entry);
          handler(entry, response);
        });
      });
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      const { port } = server.address() as AddressInfo;
      return { url: `http://127.0.0.1:${port}/check`, seen, received: (n) => counter.count(n) };
    },
    tempDir() {
      const dir = makeTempDir('warden-e2e-');
      dirs.push(dir.path);
      return dir;
    },
  };
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response
    .writeHead(status, { 'content-type': 'application/json' })
    .end(typeof body === 'string' ? body : JSON.stringify(body));
}

/**
 * The WardenError code a promise rejects with. Fails the test if it resolves (closing a Client it
 * resolved with, so nothing leaks) or rejects with something that is not a WardenError.
 */
export async function refusal(promise: Promise<unknown>): Promise<string> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    if (!(error instanceof WardenError))
      throw new Error(`expected a WardenError, got ${String(error)}`, { cause: error });
    return error.code;
  }
  if (value instanceof Client) await value.close();
  throw new Error('expected a refusal, but the request succeeded');
}

/** 'allowed' if the request succeeded (closing a Client it resolved with), else the WardenError code. */
export async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    const value = await promise;
    if (value instanceof Client) await value.close();
    return 'allowed';
  } catch (error) {
    if (!(error instanceof WardenError))
      throw new Error(`expected a WardenError, got ${String(error)}`, { cause: error });
    return error.code;
  }
}

/** Sends a logon on a fresh raw connection and returns the answer frame and the close that follows a refusal. */
export async function rawLogon(raw: RawClient, frame: Frame): Promise<Frame> {
  return raw.request({ op: 'logon', rid: 1, ...frame });
}

/** Asserts the raw connection got `LOGON_FAILED` for its logon and was then closed with 4003. */
export async function expectRawLogonRefused(raw: RawClient, frame: Frame, code = 'LOGON_FAILED'): Promise<void> {
  expect(await rawLogon(raw, frame)).toMatchObject({ op: 'error', rid: 1, code, cmd: 'logon' });
  expect((await raw.closed).code).toBe(4003);
}

/** A subscription handler that collects topics, with an event-driven wait for a given topic. */
export class TopicLog {
  readonly messages = new Collector<Message>();
  readonly handler = (msg: Message): void => this.messages.push(msg);
  get topics(): string[] {
    return this.messages.items.map((m) => m.topic);
  }
  /** Resolves when a message on `topic` has arrived. */
  until(topic: string): Promise<void> {
    return this.messages.until((items) => items.some((m) => m.topic === topic));
  }
}

/** A request on the broker's admin listener with HTTP Basic credentials; returns the status. */
export async function adminStatus(
  adminUrl: string,
  user: string,
  password: string,
  path = '/admin/entitlements',
  method: 'GET' | 'POST' = 'GET',
): Promise<number> {
  const response = await fetch(`${adminUrl}${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
    ...(method === 'POST' ? { body: '{}' } : {}),
  });
  await response.body?.cancel();
  return response.status;
}
