// A real HTTP service on 127.0.0.1 that a test stops, slows down and starts again on the same
// port: the remote end of the circuit-breaker and stale-answer tests. Requests are counted as
// they arrive (an event to wait for, never a sleep).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { Collector } from '../helpers/collector.js';

export interface SeenRequest {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingMessage['headers'];
  /** The body parsed as JSON (undefined when empty). */
  readonly body: unknown;
}

export type FlakyHandler = (seen: SeenRequest, response: ServerResponse) => void;

export class FlakyService {
  readonly seen = new Collector<SeenRequest>();
  /** While true, requests are received (and counted) but never answered. */
  slow = false;
  private server: Server | null = null;
  private port = 0;

  constructor(
    public handler: FlakyHandler,
    private readonly path: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}${this.path}`;
  }

  get requests(): number {
    return this.seen.items.length;
  }

  /** Listen: on a free port the first time, on the same one after a stop. */
  async start(): Promise<this> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const seen: SeenRequest = {
          method: request.method,
          url: request.url,
          headers: request.headers,
          body: text === '' ? undefined : (JSON.parse(text) as unknown),
        };
        this.seen.push(seen);
        // No connection is kept for the next request: after a stop, the next one is refused
        // (ECONNREFUSED), never sent down a pooled socket the stop closed.
        response.shouldKeepAlive = false;
        if (!this.slow) this.handler(seen, response);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  /** Stop listening and cut every connection (requests in progress get no answer). */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Resolves once `n` requests in all have arrived. */
  received(n: number): Promise<void> {
    return this.seen.count(n);
  }
}

/** Call at the top of a test file: the services a test starts are stopped after it. */
export function useFlakyServices(): (handler: FlakyHandler, path?: string) => Promise<FlakyService> {
  const services: FlakyService[] = [];
  afterEach(async () => {
    await Promise.all(services.splice(0).map((service) => service.stop()));
  });
  return async (handler, path = '/check') => {
    const service = new FlakyService(handler, path);
    services.push(service);
    return service.start();
  };
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response
    .writeHead(status, { 'content-type': 'application/json' })
    .end(typeof body === 'string' ? body : JSON.stringify(body));
}
