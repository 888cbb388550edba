import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpEntitlement } from '../../../server/security/entitlement/index.js';
import type { EntitlementModule } from '../../../server/security/module-types.js';
import { admin, configErrorOf, logon, read, testContext, write } from './helpers.js';

interface SeenRequest {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

type Handler = (response: ServerResponse, seen: SeenRequest) => void;

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** A real entitlement service on 127.0.0.1, answering with `handler`; returns its URL and what it saw. */
async function service(handler: Handler): Promise<{ url: string; seen: SeenRequest[] }> {
  const seen: SeenRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const entry = {
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
      };
      seen.push(entry);
      handler(response, entry);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/entitlements/check`, seen };
}

function json(status: number, body: unknown): Handler {
  return (response) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

async function httpModule(url: string, options: Record<string, unknown> = {}): Promise<EntitlementModule> {
  return createHttpEntitlement({ url, ...options }, testContext());
}

describe('http entitlement module', () => {
  it('posts the request as JSON and passes filter and select through', async () => {
    const { url, seen } = await service(json(200, { allow: true, filter: "/owner = 'alice'", select: '-/secret' }));
    const module = await httpModule(url, { headers: { Authorization: 'Bearer s3cret', 'Content-Type': 'text/plain' } });
    expect(module.name).toBe('http');
    await expect(module.check(read('alice', 'orders/alice/1'))).resolves.toEqual({
      allow: true,
      filter: "/owner = 'alice'",
      select: '-/secret',
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/entitlements/check',
      body: { user: 'alice', action: 'read', resourceType: 'topic', resource: 'orders/alice/1' },
    });
    expect(seen[0]?.headers.authorization).toBe('Bearer s3cret');
    expect(seen[0]?.headers['content-type']).toBe('application/json');
  });

  it('sends logon and admin requests the same way', async () => {
    const { url, seen } = await service(json(200, { allow: true }));
    const module = await httpModule(url);
    await expect(module.check(logon('bob'))).resolves.toEqual({ allow: true });
    await expect(module.check(admin('bob', '/admin/entitlements/reset'))).resolves.toEqual({ allow: true });
    expect(seen.map((entry) => entry.body)).toEqual([
      { user: 'bob', action: 'logon', resourceType: 'logon', resource: '' },
      { user: 'bob', action: 'write', resourceType: 'admin', resource: '/admin/entitlements/reset' },
    ]);
  });

  it('returns a deny, with the service’s reason when it gives one', async () => {
    const plain = await service(json(200, { allow: false }));
    await expect((await httpModule(plain.url)).check(write('eve', 'a'))).resolves.toEqual({
      allow: false,
      reason: 'denied by the entitlement service',
    });
    const explained = await service(json(200, { allow: false, reason: 'trading halted' }));
    await expect((await httpModule(explained.url)).check(write('eve', 'a'))).resolves.toEqual({
      allow: false,
      reason: 'entitlement service: trading halted',
    });
  });

  it('throws on a non-2xx status', async () => {
    const { url } = await service(json(500, { allow: true }));
    await expect((await httpModule(url)).check(read('a', 'b'))).rejects.toThrow(
      /entitlement service http:\/\/127\.0\.0\.1:\d+\/entitlements\/check: answered HTTP 500/,
    );
  });

  it('throws when the service does not answer in time', async () => {
    const { url } = await service(() => {
      // Never answers.
    });
    const started = Date.now();
    await expect((await httpModule(url, { timeoutMs: 150 })).check(read('a', 'b'))).rejects.toThrow(
      'did not answer within 150 ms',
    );
    expect(Date.now() - started).toBeLessThan(10_000); // generous: the message names the 150 ms timeout
  });

  it("passes the filter's syntax through, and only a known one", async () => {
    const amps = await service(json(200, { allow: true, filter: "/owner = 'alice'", filterSyntax: 'amps' }));
    await expect((await httpModule(amps.url)).check(read('alice', 'o/1'))).resolves.toEqual({
      allow: true,
      filter: "/owner = 'alice'",
      filterSyntax: 'amps',
    });
    const unknown = await service(json(200, { allow: true, filter: 'x', filterSyntax: 'sql' }));
    await expect((await httpModule(unknown.url)).check(read('alice', 'o/1'))).rejects.toThrow(
      'answered with unexpected JSON',
    );
  });

  it('throws on a body that is not JSON, or not the documented JSON', async () => {
    const notJson = await service(json(200, 'allow'));
    await expect((await httpModule(notJson.url)).check(read('a', 'b'))).rejects.toThrow(
      'answered with a body that is not JSON',
    );
    for (const body of [
      { allow: 'yes' },
      { allowed: true },
      { allow: true, filters: 'x' },
      { allow: true, filter: 7 },
      [true],
      null,
    ]) {
      const { url } = await service(json(200, body));
      await expect((await httpModule(url)).check(read('a', 'b')), JSON.stringify(body)).rejects.toThrow(
        'answered with unexpected JSON',
      );
    }
  });

  it('throws on an oversized answer', async () => {
    const { url } = await service(json(200, { allow: true, filter: 'x'.repeat(100_000) }));
    await expect((await httpModule(url)).check(read('a', 'b'))).rejects.toThrow(/limit/);
  });

  it('throws when the service is unreachable or redirects', async () => {
    const gone = await service(json(200, { allow: true }));
    const module = await httpModule(gone.url);
    const server = servers.pop() as Server;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(module.check(read('a', 'b'))).rejects.toThrow(/entitlement service .*: fetch failed/);

    const target = await service(json(200, { allow: true }));
    const redirect = await service((response) => {
      response.writeHead(307, { location: target.url });
      response.end();
    });
    await expect((await httpModule(redirect.url)).check(read('a', 'b'))).rejects.toThrow(/entitlement service/);
    expect(target.seen).toHaveLength(0);
  });

  it('validates its options', async () => {
    const error = await configErrorOf(() =>
      createHttpEntitlement(
        { url: 'ftp://example.com/x', timeoutMs: 0, headers: { 'bad header': 'v' }, retries: 3 },
        testContext(),
      ),
    );
    expect(error.issues).toEqual([
      {
        path: 'security.entitlement.options.url',
        message: 'expected an http:// or https:// URL, got "ftp://example.com/x"',
      },
      { path: 'security.entitlement.options.timeoutMs', message: 'expected an integer from 1 to 600000, got 0' },
      {
        path: 'security.entitlement.options.headers["bad header"]',
        message: 'expected a valid HTTP header name and value, got "bad header"',
      },
      {
        path: 'security.entitlement.options.retries',
        message:
          'unknown key (expected one of "url", "timeoutMs", "headers", "circuit", "serveStaleMs", "staleMaxEntries", "staleMaxBytes")',
      },
    ]);
    const missing = await configErrorOf(() => createHttpEntitlement({}, testContext()));
    expect(missing.issues).toEqual([
      { path: 'security.entitlement.options.url', message: 'expected an http:// or https:// URL, got nothing' },
    ]);
  });
});
