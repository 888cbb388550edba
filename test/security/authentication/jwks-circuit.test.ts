// A `jwt` module's JWKS fetches through the circuit breaker, against a real local server that the
// test stops and starts again, on a hand-moved clock (the key set's age, the cooldown, the probes).
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { describe, expect, it } from 'vitest';
import { JWKS_COOLDOWN_MS, JWKS_MAX_AGE_MS } from '../../../server/security/authentication/remote-jwks.js';
import { createJwtAuthentication } from '../../../server/security/authentication/jwt.js';
import type { AuthenticationModule } from '../../../server/security/module-types.js';
import { ManualTimers } from '../../helpers/manual-timers.js';
import { sendJson, useFlakyServices } from '../flaky-service.js';
import { answerOf, configErrorOf, expectAccept, expectReject, logon, moduleContext } from './helpers.js';

const flakyService = useFlakyServices();

async function signer(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const sign = (sub: string) =>
    new SignJWT({ sub })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(privateKey as CryptoKey);
  return { jwk, sign };
}

async function setup(options: Record<string, unknown> = {}) {
  const k1 = await signer('k1');
  const k2 = await signer('k2');
  const served = { keys: [k1.jwk] };
  const jwks = await flakyService((_seen, response) => sendJson(response, 200, served), '/jwks.json');
  const timers = new ManualTimers();
  const audited: { event: string; fields: Readonly<Record<string, unknown>> }[] = [];
  const context = {
    ...moduleContext(),
    timers,
    audit: (event: string, fields: Readonly<Record<string, unknown>>) => audited.push({ event, fields }),
  };
  const module = await createJwtAuthentication(
    { jwksUrl: jwks.url, algorithms: ['ES256'], circuit: { failures: 2, probeIntervalMs: 1000 }, ...options },
    context,
  );
  return { jwks, served, k1, k2, timers, module, audited };
}

const verify = async (module: AuthenticationModule, token: string) =>
  answerOf(module.authenticate(logon({ user: '', password: undefined, token, mechanism: 'token' })));

describe('jwt: the JWKS behind the circuit breaker', () => {
  it('fetches the key set once, and again once it is JWKS_MAX_AGE_MS old', async () => {
    const { jwks, k1, timers, module } = await setup();
    expectAccept(await verify(module, await k1.sign('erin')), 'erin');
    expectAccept(await verify(module, await k1.sign('erin')), 'erin');
    expect(jwks.requests).toBe(1);
    expect(jwks.seen.items[0]).toMatchObject({ method: 'GET', url: '/jwks.json' });
    timers.advance(JWKS_MAX_AGE_MS - 1);
    expectAccept(await verify(module, await k1.sign('erin')), 'erin');
    expect(jwks.requests).toBe(1);
    timers.advance(1);
    expectAccept(await verify(module, await k1.sign('erin')), 'erin');
    expect(jwks.requests).toBe(2);
  });

  it('a token naming an unknown key fetches again, at most once per cooldown', async () => {
    const { jwks, served, k2, timers, module } = await setup();
    expectReject(await verify(module, await k2.sign('erin')), /ERR_JWKS_NO_MATCHING_KEY/);
    expect(jwks.requests).toBe(1);
    served.keys.push(k2.jwk);
    expectReject(await verify(module, await k2.sign('erin')), /ERR_JWKS_NO_MATCHING_KEY/);
    expect(jwks.requests).toBe(1);
    timers.advance(JWKS_COOLDOWN_MS);
    expectAccept(await verify(module, await k2.sign('erin')), 'erin');
    expect(jwks.requests).toBe(2);
  });

  it('failed fetches open the circuit: then tokens needing a fetch are refused without one; a probe closes it', async () => {
    const { jwks, k1, k2, timers, module, audited } = await setup();
    expectAccept(await verify(module, await k1.sign('erin')), 'erin');
    await jwks.stop();
    timers.advance(JWKS_MAX_AGE_MS);
    // Too old, and no fresher one: refused (fail closed).
    expectReject(
      await verify(module, await k1.sign('erin')),
      /JSON Web Key Set unavailable: fetching the JWKS failed: ECONNREFUSED/,
    );
    // Failures for an unknown key count too.
    expectReject(await verify(module, await k2.sign('erin')), /ECONNREFUSED/);
    expect(module.health!()).toMatchObject({ circuit: 'open', circuitOpens: 1 });
    await jwks.start();
    expectReject(await verify(module, await k1.sign('erin')), /unavailable: circuit open/);
    expect(jwks.requests).toBe(1);
    timers.advance(1000);
    expectAccept(await verify(module, await k1.sign('erin')), 'erin');
    expect(jwks.requests).toBe(2);
    expect(module.health!().circuit).toBe('closed');
    expect(audited.map((line) => `${line.event} ${String(line.fields.state)}`)).toEqual([
      'circuit open',
      'circuit closed',
    ]);
    expect(audited[0]!.fields).toMatchObject({ module: 'jwt', config: 'security.authentication' });
  });

  it('a slow JWKS URL times out (jwksTimeoutMs) and counts as a failure', async () => {
    const { jwks, k1, module } = await setup({ jwksTimeoutMs: 50 });
    jwks.slow = true;
    expectReject(await verify(module, await k1.sign('erin')), /did not answer within 50 ms/);
    expectReject(await verify(module, await k1.sign('erin')), /did not answer within 50 ms/);
    expectReject(await verify(module, await k1.sign('erin')), /circuit open/);
    expect(jwks.requests).toBe(2);
  });

  it('with serveStaleMs, the last key set fetched is used past its age while fetching fails, until serveStaleMs', async () => {
    const { jwks, k1, timers, module, audited } = await setup({ serveStaleMs: 3_600_000 });
    expectAccept(await verify(module, await k1.sign('erin')), 'erin');
    await jwks.stop();
    timers.advance(JWKS_MAX_AGE_MS);
    expectAccept(await verify(module, await k1.sign('erin')), 'erin');
    expectAccept(await verify(module, await k1.sign('erin')), 'erin');
    expectAccept(await verify(module, await k1.sign('erin')), 'erin'); // the circuit is open: not even tried
    expect(module.health!()).toMatchObject({ circuit: 'open', staleAnswers: 3, staleEntries: 1 });
    expect(audited.filter((line) => line.event === 'stale-answer')).toHaveLength(1);
    timers.advance(3_600_000 - JWKS_MAX_AGE_MS);
    expectReject(await verify(module, await k1.sign('erin')), /JSON Web Key Set unavailable/);
  });

  it('circuit, serveStaleMs and jwksTimeoutMs are for jwksUrl only; serveStaleMs must outlast the key set age', async () => {
    const secret = 'a-test-secret-of-at-least-32-bytes!!';
    const issuesOf = async (options: Record<string, unknown>) =>
      (await configErrorOf(() => createJwtAuthentication(options, moduleContext()))).issues;
    expect(await issuesOf({ secret, circuit: false, serveStaleMs: 1, jwksTimeoutMs: 10 })).toEqual([
      { path: 'security.authentication.options.jwksTimeoutMs', message: 'expected only with `jwksUrl`, got 10' },
      { path: 'security.authentication.options.circuit', message: 'expected only with `jwksUrl`, got false' },
      { path: 'security.authentication.options.serveStaleMs', message: 'expected only with `jwksUrl`, got 1' },
    ]);
    expect(
      await issuesOf({ jwksUrl: 'https://idp.example.com/jwks', algorithms: ['RS256'], serveStaleMs: 60_000 }),
    ).toEqual([
      {
        path: 'security.authentication.options.serveStaleMs',
        message: 'expected 0 or more than 600000 (a key set is used that long after it was fetched anyway), got 60000',
      },
    ]);
  });
});
