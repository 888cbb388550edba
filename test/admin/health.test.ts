// GET /healthz and /readyz: answered without credentials, on the admin listener by default or on
// a listener of their own (health.port); 503 with the failing check's reason while the broker
// shuts down. Everything else on the admin listener still needs credentials.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { openStalledSubscriber, type StalledClient } from '../helpers/stalled-client.js';

let broker: TestBroker | undefined;
let stalled: StalledClient | undefined;

afterEach(async () => {
  stalled?.socket.destroy();
  await broker?.close();
  broker = stalled = undefined;
});

async function get(url: string, method = 'GET'): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { method });
  return { status: response.status, body: await response.json() };
}

describe('health probes', () => {
  it('answers on the admin listener without credentials, and nothing else does', async () => {
    broker = await startTestBroker({ admin: {} });
    const base = broker.broker.healthUrl!;
    expect(base).toBe(broker.broker.adminUrl);
    expect(await get(`${base}/healthz`)).toEqual({
      status: 200,
      body: { status: 'ok', checks: { serving: { ok: true } } },
    });
    expect(await get(`${base}/readyz`)).toEqual({
      status: 200,
      body: { status: 'ok', checks: { listeners: { ok: true }, modules: { ok: true }, store: { ok: true } } },
    });
    expect((await get(`${base}/readyz?verbose=1`)).status).toBe(200);
    expect((await get(`${base}/healthz`, 'POST')).status).toBe(405);
    // The admin API itself still asks who is there.
    expect((await get(`${base}/admin/entitlements`)).status).toBe(401);
  });

  it('moves to a listener of its own with health.port, which serves nothing else', async () => {
    broker = await startTestBroker({ admin: {}, health: { port: 0 } });
    const { healthUrl, adminUrl } = broker.broker;
    expect(healthUrl).not.toBe(adminUrl);
    expect((await get(`${healthUrl}/readyz`)).status).toBe(200);
    expect((await get(`${healthUrl}/admin/entitlements`)).status).toBe(404);
    // The admin listener no longer answers probes without credentials.
    expect((await get(`${adminUrl}/healthz`)).status).toBe(401);
  });

  it('says 503, and why, while the broker shuts down', async () => {
    broker = await startTestBroker({ health: { port: 0 }, shutdown: { graceMs: 20_000 } });
    const healthUrl = broker.broker.healthUrl!;
    // A client that never answers the close frame keeps the broker in its grace period (this
    // file runs on the ws engine only: uWS does not wait for the answer).
    stalled = await openStalledSubscriber(broker.url, 'news');
    const closing = broker.close();
    const ready = await get(`${healthUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({
      status: 'unavailable',
      checks: { listeners: { ok: false, reason: 'the broker is shutting down' }, modules: { ok: true } },
    });
    expect(await get(`${healthUrl}/healthz`)).toEqual({
      status: 503,
      body: { status: 'unavailable', checks: { serving: { ok: false, reason: 'the broker is shutting down' } } },
    });
    stalled.socket.destroy();
    await closing;
  });

  it('is off with health.enabled false', async () => {
    broker = await startTestBroker({ admin: {}, health: { enabled: false } });
    expect(broker.broker.healthUrl).toBeNull();
    expect((await get(`${broker.broker.adminUrl}/healthz`)).status).toBe(401);
  });
});
