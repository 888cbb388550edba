// The `http` authentication module's circuit breaker and stale acceptances, against a real local
// service that the test stops and starts again on the same port, on a hand-moved clock.
import { describe, expect, it } from 'vitest';
import { createHttpAuthentication } from '../../../server/security/authentication/index.js';
import type { AuthenticationModule } from '../../../server/security/module-types.js';
import { ManualTimers } from '../../helpers/manual-timers.js';
import { sendJson, useFlakyServices } from '../flaky-service.js';
import { answerOf, configErrorOf, expectAccept, expectReject, logon, moduleContext } from './helpers.js';

const flakyService = useFlakyServices();

/** alice/alice-pw is svc-alice; 401 for anything else. */
async function setup(options: Record<string, unknown> = {}) {
  const service = await flakyService((seen, response) => {
    const body = seen.body as { user: string; password: string | null };
    if (body.user === 'alice' && body.password === 'alice-pw') sendJson(response, 200, { identity: 'svc-alice' });
    else sendJson(response, 401, {});
  });
  const timers = new ManualTimers();
  const audited: string[] = [];
  const context = {
    ...moduleContext(),
    timers,
    audit: (event: string, fields: Readonly<Record<string, unknown>>) =>
      audited.push(`${event} ${String(fields.state ?? fields.served)}`),
  };
  const module = await createHttpAuthentication(
    { url: service.url, circuit: { failures: 2, probeIntervalMs: 1000 }, ...options },
    context,
  );
  return { service, timers, module, audited };
}

const check = (module: AuthenticationModule, fields: Parameters<typeof logon>[0]) =>
  answerOf(module.authenticate(logon(fields)));

describe('http authentication: circuit breaker and stale acceptances', () => {
  it('refuses at once once the circuit is open, and closes when a probe is answered', async () => {
    const { service, timers, module, audited } = await setup();
    await service.stop();
    for (let i = 0; i < 2; i++)
      expectReject(await check(module, { user: 'alice', password: 'alice-pw' }), /request failed: ECONNREFUSED/);
    await service.start();
    expectReject(
      await check(module, { user: 'alice', password: 'alice-pw' }),
      /^auth service not asked: circuit open \(last failure: auth service request failed: ECONNREFUSED\)$/,
    );
    expect(service.requests).toBe(0);
    timers.advance(1000);
    expectAccept(await check(module, { user: 'alice', password: 'alice-pw' }), 'svc-alice');
    expect(service.requests).toBe(1);
    // A refusal (401) is an answer: it closes nothing and opens nothing.
    for (let i = 0; i < 5; i++) expectReject(await check(module, { user: 'alice', password: 'wrong' }), /HTTP 401/);
    expect(module.health!()).toMatchObject({ circuit: 'closed', circuitOpens: 1, consecutiveFailures: 0 });
    expect(audited).toEqual(['circuit open', 'circuit closed']);
  });

  it('with serveStaleMs, accepts again the same user with the same password while the service is down; nothing else', async () => {
    const { service, timers, module, audited } = await setup({ serveStaleMs: 30_000 });
    expectAccept(await check(module, { user: 'alice', password: 'alice-pw' }), 'svc-alice');
    expectReject(await check(module, { user: 'alice', password: 'wrong' }), /HTTP 401/);
    await service.stop();
    timers.advance(29_999);
    expectAccept(await check(module, { user: 'alice', password: 'alice-pw' }), 'svc-alice');
    // Another password, another user, a refusal given before, another address or listener: no.
    expectReject(await check(module, { user: 'alice', password: 'wrong' }), /ECONNREFUSED/);
    expectReject(await check(module, { user: 'alice', password: 'alice-pw2' }), /circuit open/);
    expectReject(await check(module, { user: 'bob', password: 'alice-pw' }), /circuit open/);
    expectReject(
      await check(module, { user: 'alice', password: 'alice-pw', remoteAddress: '10.0.0.9' }),
      /circuit open/,
    );
    expectReject(await check(module, { user: 'alice', password: 'alice-pw', listener: 'mqtt' }), /circuit open/);
    // The open circuit gives it again too, until serveStaleMs after the service gave it.
    expectAccept(await check(module, { user: 'alice', password: 'alice-pw' }), 'svc-alice');
    timers.advance(1);
    expectReject(await check(module, { user: 'alice', password: 'alice-pw' }), /circuit open/);
    expect(module.health!()).toMatchObject({ staleAnswers: 2, staleEntries: 0 });
    expect(audited).toEqual(['stale-answer 1', 'circuit open']);
  });

  it('token logons are keyed by their token', async () => {
    const { service, module } = await setup({ serveStaleMs: 30_000 });
    service.handler = (_seen, response) => sendJson(response, 200, { identity: 'from-token' });
    const token = { user: 'x', password: undefined, token: 'tok-1', mechanism: 'token' } as const;
    expectAccept(await check(module, token), 'from-token');
    await service.stop();
    expectAccept(await check(module, token), 'from-token');
    expectReject(await check(module, { ...token, token: 'tok-2' }), /ECONNREFUSED/);
  });

  it('validates circuit and serveStaleMs', async () => {
    const error = await configErrorOf(() =>
      createHttpAuthentication(
        { url: 'https://auth.example.com/', circuit: { failures: 'many' }, serveStaleMs: 'long' },
        moduleContext(),
      ),
    );
    expect(error.issues).toEqual([
      {
        path: 'security.authentication.options.circuit.failures',
        message: 'expected an integer from 1 to 1000, got "many"',
      },
      {
        path: 'security.authentication.options.serveStaleMs',
        message: 'expected an integer from 0 to 86400000, got "long"',
      },
    ]);
  });
});
