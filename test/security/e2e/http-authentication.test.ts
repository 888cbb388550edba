// The `http` authentication module end to end: a real broker asking a real local HTTP service.
import { describe, expect, it } from 'vitest';
import { expectRawLogonRefused, refusal, sendJson, useResources, type ServiceHandler } from './helpers.js';

const res = useResources();

const httpBroker = async (
  handler: ServiceHandler,
  options: Record<string, unknown> = {},
  security: Record<string, unknown> = {},
) => {
  const service = await res.service(handler);
  const tb = await res.broker({
    security: { authentication: { module: 'http', options: { url: service.url, ...options } }, ...security },
  });
  return { tb, service };
};

/** Accepts alice/alice-pw as identity `svc-alice`; 401 for anything else. */
const aliceOnly: ServiceHandler = (seen, response) => {
  const body = seen.body as { user: string; password: string | null };
  if (body.user === 'alice' && body.password === 'alice-pw') sendJson(response, 200, { identity: 'svc-alice' });
  else sendJson(response, 401, { error: 'no' });
};

describe('http authentication', () => {
  it('a 200 with an identity accepts, and the connection gets the identity the service returned', async () => {
    const { tb, service } = await httpBroker(aliceOnly, { headers: { 'x-service-key': 'k-123' } });
    const c = await res.client(tb.url, { user: 'alice', password: 'alice-pw' });
    expect(c.user).toBe('svc-alice');
    expect(await c.ping()).toBeGreaterThanOrEqual(0);
    // The service got the credentials as JSON, with the configured header.
    expect(service.seen).toHaveLength(1);
    const [seen] = service.seen;
    expect(seen!.method).toBe('POST');
    expect(seen!.url).toBe('/check');
    expect(seen!.headers['content-type']).toBe('application/json');
    expect(seen!.headers['x-service-key']).toBe('k-123');
    expect(seen!.body).toEqual({
      user: 'alice',
      password: 'alice-pw',
      token: null,
      mechanism: 'password',
      remoteAddress: '127.0.0.1',
      listener: 'native',
    });
  });

  it('a token logon reaches the service as a token with mechanism "token" and no password', async () => {
    const { tb, service } = await httpBroker((_seen, response) => sendJson(response, 200, { user: 'from-token' }));
    const c = await res.client(tb.url, { user: 'ignored', token: 'opaque-token-1' });
    expect(c.user).toBe('from-token'); // `user` in the answer is the identity when there is no `identity`
    expect(service.seen[0]!.body).toMatchObject({
      user: 'ignored',
      password: null,
      token: 'opaque-token-1',
      mechanism: 'token',
    });
  });

  it('a 2xx object without identity or user gives the logon name as identity', async () => {
    const { tb } = await httpBroker((_seen, response) => sendJson(response, 200, {}));
    expect((await res.client(tb.url, { user: 'carol', password: 'x' })).user).toBe('carol');
  });

  it('401 and 403 refuse with LOGON_FAILED and close the connection (4003)', async () => {
    const { tb, service } = await httpBroker(aliceOnly);
    expect(await refusal(res.client(tb.url, { user: 'alice', password: 'wrong' }))).toBe('LOGON_FAILED');
    await expectRawLogonRefused(await res.raw(tb.url), { user: 'bob', password: 'bob-pw' });
    expect(service.seen).toHaveLength(2);

    const forbidden = await httpBroker((_seen, response) => sendJson(response, 403, {}));
    expect(await refusal(res.client(forbidden.tb.url, { user: 'alice', password: 'alice-pw' }))).toBe('LOGON_FAILED');
  });

  it('a 500 refuses (fail closed)', async () => {
    const { tb, service } = await httpBroker((_seen, response) => sendJson(response, 500, { identity: 'alice' }));
    expect(await refusal(res.client(tb.url, { user: 'alice', password: 'alice-pw' }))).toBe('LOGON_FAILED');
    expect(service.seen).toHaveLength(1);
  });

  it('a 2xx that is not a JSON object, or has an unusable identity, refuses', async () => {
    const bodies: unknown[] = [
      'not json',
      '["alice"]',
      { identity: '' },
      { identity: 42 },
      { identity: 'x'.repeat(257) },
    ];
    for (const body of bodies) {
      const { tb } = await httpBroker((_seen, response) => sendJson(response, 200, body));
      expect(await refusal(res.client(tb.url, { user: 'alice', password: 'alice-pw' })), JSON.stringify(body)).toBe(
        'LOGON_FAILED',
      );
    }
  });

  it('a redirect is not followed: the credentials never reach the target, and the logon is refused', async () => {
    const target = await res.service((_seen, response) => sendJson(response, 200, { identity: 'alice' }));
    const { tb, service } = await httpBroker((_seen, response) => {
      response.writeHead(307, { location: target.url }).end();
    });
    expect(await refusal(res.client(tb.url, { user: 'alice', password: 'alice-pw' }))).toBe('LOGON_FAILED');
    expect(service.seen).toHaveLength(1);
    expect(target.seen).toHaveLength(0);
  });

  it('a service that never answers refuses the logon after the module timeout', async () => {
    const { tb, service } = await httpBroker(
      () => {
        /* never answers */
      },
      { timeoutMs: 150 },
    );
    expect(await refusal(res.client(tb.url, { user: 'alice', password: 'alice-pw' }))).toBe('LOGON_FAILED');
    await service.received(1); // the request did reach the service, which just never answered
    expect(tb.broker.stats().logonFailures).toBe(1);
  });

  it('a service slower than security.moduleTimeoutMs makes the logon AUTHENTICATION_UNAVAILABLE', async () => {
    const { tb } = await httpBroker(
      () => {
        /* never answers */
      },
      { timeoutMs: 60_000 },
      { moduleTimeoutMs: 150 },
    );
    expect(await refusal(res.client(tb.url, { user: 'alice', password: 'alice-pw' }))).toBe(
      'AUTHENTICATION_UNAVAILABLE',
    );
    await expectRawLogonRefused(
      await res.raw(tb.url),
      { user: 'alice', password: 'alice-pw' },
      'AUTHENTICATION_UNAVAILABLE',
    );
  });

  it('SCRAM-SHA-256 is refused without asking the service', async () => {
    const { tb, service } = await httpBroker(aliceOnly);
    expect(await refusal(res.client(tb.url, { user: 'alice', password: 'alice-pw', mechanism: 'SCRAM-SHA-256' }))).toBe(
      'LOGON_FAILED',
    );
    // A password logon afterwards is the service's first request.
    expect((await res.client(tb.url, { user: 'alice', password: 'alice-pw' })).user).toBe('svc-alice');
    expect(service.seen).toHaveLength(1);
  });
});
