// A real HTTP server on 127.0.0.1 (ephemeral port) whose answers each test scripts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

export interface TestHttpServer {
  readonly url: string;
  /** Bodies (parsed JSON) and headers of the requests received so far. */
  readonly requests: { body: unknown; headers: IncomingMessage['headers']; method: string | undefined }[];
}

export type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

/** Call at the top of a test file; servers are closed (and hanging requests cut) after each test. */
export function useHttpServers(): (handler: Handler) => Promise<TestHttpServer> {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
  return async (handler) => {
    const requests: TestHttpServer['requests'] = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        requests.push({
          body: body === '' ? undefined : (JSON.parse(body) as unknown),
          headers: request.headers,
          method: request.method,
        });
        handler(request, body, response);
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}/auth`, requests };
  };
}

export function json(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
}
