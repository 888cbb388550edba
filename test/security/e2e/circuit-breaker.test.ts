// Remote modules' circuit breakers and stale answers end to end: a real broker asking a real
// policy, auth or JWKS service on 127.0.0.1 that the test stops, slows down and starts again on
// the same port. The broker's timers are moved by hand (the probe interval, serveStaleMs, the key
// set's age); what the test waits for are events: the service's requests, audit lines.
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { describe, expect, it } from 'vitest';
import { JWKS_MAX_AGE_MS } from '../../../server/security/authentication/remote-jwks.js';
import type { TestBroker, TestBrokerOverrides } from '../../helpers/broker.js';
import { ManualTimers } from '../../helpers/manual-timers.js';
import { LogSink } from '../../tls/tls-fixture.js';
import { sendJson, useFlakyServices, type FlakyService } from '../flaky-service.js';
import { refusal, useResources } from './helpers.js';

const res = useResources();
const flakyService = useFlakyServices();

/** Logons are allowed; topics under ok/ too; the rest denied. */
function policyService(): Promise<FlakyService> {
  return flakyService((seen, response) => {
    const { resourceType, resource } = seen.body as { resourceType: string; resource: string };
    sendJson(response, 200, { allow: resourceType === 'logon' || resource.startsWith('ok/') });
  });
}

interface Started {
  readonly tb: TestBroker;
  readonly timers: ManualTimers;
  readonly sink: LogSink;
}

async function broker(security: TestBrokerOverrides['security']): Promise<Started> {
  const timers = new ManualTimers();
  const sink = new LogSink('info');
  const tb = await res.broker({
    security: { logonBackoff: { hostFailures: 0, userFailures: 0 }, ...security },
    // The admin API and /metrics have modules of their own, so they answer while the service is down.
    admin: {
      authentication: { module: 'allow-any' },
      entitlement: { module: 'allow-all' },
      credentialCache: { ttlMs: 0 },
    },
    timers,
    logger: sink.logger,
  });
  return { tb, timers, sink };
}

/** The audit lines of `event` so far. */
const auditLines = (sink: LogSink, event: string) =>
  sink.entries.items.filter((entry) => entry.audit === true && entry.event === event);

/** Resolves with the audit line of `event` whose fields match `fields`, once it is written. */
async function auditLine(sink: LogSink, event: string, fields: Record<string, unknown>) {
  const matches = (entry: Record<string, unknown>) =>
    entry.audit === true && entry.event === event && Object.entries(fields).every(([k, v]) => entry[k] === v);
  await sink.entries.until((items) => items.some(matches));
  return sink.entries.items.find(matches)!;
}

async function admin(tb: TestBroker, path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${tb.broker.adminUrl!}${path}`, {
    headers: { authorization: `Basic ${Buffer.from('ops:pw').toString('base64')}` },
  });
  return { status: response.status, text: await response.text() };
}

/** `name{labels} value` lines of the exposition text for the health metrics (circuit, stale answers) of `module`. */
async function moduleMetrics(tb: TestBroker, module: string): Promise<string[]> {
  const { text } = await admin(tb, '/metrics');
  return text
    .split('\n')
    .filter((line) => line.startsWith('warden_module_') && line.includes(`{module="${module}",config=`));
}

describe('circuit breaker: http entitlement', () => {
  it('a stopped service: the circuit opens, refuses at once, probes at the interval and closes; audit, metrics and status show it', async () => {
    const service = await policyService();
    const { tb, timers, sink } = await broker({
      entitlement: {
        module: 'http',
        options: { url: service.url, circuit: { failures: 3, probeIntervalMs: 5000 } },
      },
    });
    const alice = await res.client(tb.url, { user: 'alice', password: 'x' });
    await alice.subscribe({ topic: 'ok/1' });
    await service.stop();
    for (const topic of ['ok/2', 'ok/3', 'ok/4'])
      expect(await refusal(alice.subscribe({ topic }))).toBe('ENTITLEMENT_UNAVAILABLE');
    const opened = await auditLine(sink, 'circuit', { state: 'open' });
    expect(opened).toMatchObject({ module: 'http', config: 'security.entitlement', failures: 3 });
    expect(opened.reason).toMatch(/ECONNREFUSED/);

    // Back, but the circuit is open: refused without asking it.
    await service.start();
    const asked = service.requests;
    expect(await refusal(alice.subscribe({ topic: 'ok/5' }))).toBe('ENTITLEMENT_UNAVAILABLE');
    expect(service.requests).toBe(asked);
    expect(await moduleMetrics(tb, 'http')).toEqual([
      'warden_module_circuit_state{module="http",config="security.entitlement"} 1',
      'warden_module_consecutive_failures{module="http",config="security.entitlement"} 3',
      'warden_module_circuit_opens_total{module="http",config="security.entitlement"} 1',
      'warden_module_circuit_refusals_total{module="http",config="security.entitlement"} 1',
      'warden_module_stale_answers_total{module="http",config="security.entitlement"} 0',
      'warden_module_stale_entries{module="http",config="security.entitlement"} 0',
      'warden_module_stale_bytes{module="http",config="security.entitlement"} 0',
    ]);
    const status = await admin(tb, '/admin/entitlements');
    expect(status.status).toBe(200);
    expect(JSON.parse(status.text)).toMatchObject({
      enabled: true,
      modules: [
        {
          kind: 'entitlement',
          module: 'http',
          config: 'security.entitlement',
          circuit: 'open',
          consecutiveFailures: 3,
          circuitOpens: 1,
          circuitRefusals: 1,
          staleAnswers: 0,
        },
      ],
    });

    // The probe interval passes: the next check is the probe, the service answers, the circuit closes.
    timers.advance(5000);
    await alice.subscribe({ topic: 'ok/5' });
    expect(service.requests).toBe(asked + 1);
    expect(await auditLine(sink, 'circuit', { state: 'closed' })).toMatchObject({ openMs: 5000, refused: 1 });
    expect(await moduleMetrics(tb, 'http')).toContain(
      'warden_module_circuit_state{module="http",config="security.entitlement"} 0',
    );
  });

  it('a slowed-down service: its timeouts open the circuit, and then the broker answers well before the timeout', async () => {
    const service = await policyService();
    const { tb } = await broker({
      moduleTimeoutMs: 5000,
      entitlement: {
        module: 'http',
        options: { url: service.url, timeoutMs: 300, circuit: { failures: 2, probeIntervalMs: 5000 } },
      },
    });
    const alice = await res.client(tb.url, { user: 'alice', password: 'x' });
    service.slow = true;
    for (const topic of ['ok/1', 'ok/2'])
      expect(await refusal(alice.subscribe({ topic }))).toBe('ENTITLEMENT_UNAVAILABLE');
    const asked = service.requests;
    const started = performance.now();
    expect(await refusal(alice.subscribe({ topic: 'ok/3' }))).toBe('ENTITLEMENT_UNAVAILABLE');
    // Not asked, so not waited for: the refusal comes without the 300 ms the service would take.
    expect(service.requests).toBe(asked);
    expect(performance.now() - started).toBeLessThan(300);
  });

  it('serveStaleMs: while the service is down a previous answer is given again, a never-seen request is refused, and the copy ends with serveStaleMs', async () => {
    const service = await policyService();
    const { tb, timers, sink } = await broker({
      entitlement: {
        module: 'http',
        options: { url: service.url, serveStaleMs: 60_000, circuit: { failures: 2, probeIntervalMs: 5000 } },
      },
    });
    const first = await res.client(tb.url, { user: 'alice', password: 'x' });
    await first.subscribe({ topic: 'ok/1' });
    // The broker forgets its answers for alice (and disconnects her), so it must ask again.
    await tb.broker.admin.resetEntitlements('alice');
    await first.close();
    await service.stop();
    timers.advance(10_000);

    const alice = await res.client(tb.url, { user: 'alice', password: 'x' }); // logon: given again
    await alice.subscribe({ topic: 'ok/1' }); // given again (the circuit opened at this second failure)
    expect(await refusal(alice.subscribe({ topic: 'ok/2' }))).toBe('ENTITLEMENT_UNAVAILABLE'); // never asked before
    expect(await refusal(res.client(tb.url, { user: 'bob', password: 'x' }))).toBe('ENTITLEMENT_UNAVAILABLE');
    const stale = await auditLine(sink, 'stale-answer', { module: 'http' });
    expect(stale).toMatchObject({ config: 'security.entitlement', served: 1 });
    expect(auditLines(sink, 'stale-answer')).toHaveLength(1); // one line per window
    expect(await moduleMetrics(tb, 'http')).toContain(
      'warden_module_stale_answers_total{module="http",config="security.entitlement"} 2',
    );

    // 60 s after the service gave it, the broker's copy is forgotten; asked again, the module has nothing.
    timers.advance(49_999);
    const again = await res.client(tb.url, { user: 'alice', password: 'x' });
    await again.subscribe({ topic: 'ok/1' }); // the broker's cached copy, still good
    timers.advance(1);
    expect(await refusal(again.subscribe({ topic: 'ok/1' }))).toBe('ENTITLEMENT_UNAVAILABLE');
    expect(await refusal(res.client(tb.url, { user: 'alice', password: 'x' }))).toBe('ENTITLEMENT_UNAVAILABLE');
  });
});

describe('circuit breaker: http authentication', () => {
  it('a stopped auth service: a logon accepted before gets in again (serveStaleMs), others are refused, the circuit opens and closes', async () => {
    const service = await flakyService((seen, response) => {
      const { user, password } = seen.body as { user: string; password: string };
      if (password === `${user}-pw`) sendJson(response, 200, { identity: user });
      else sendJson(response, 401, {});
    });
    const { tb, timers, sink } = await broker({
      authentication: {
        module: 'http',
        options: { url: service.url, serveStaleMs: 60_000, circuit: { failures: 2, probeIntervalMs: 5000 } },
      },
    });
    await (await res.client(tb.url, { user: 'alice', password: 'alice-pw' })).close();
    await service.stop();
    expect((await res.client(tb.url, { user: 'alice', password: 'alice-pw' })).user).toBe('alice');
    expect(await refusal(res.client(tb.url, { user: 'alice', password: 'guess' }))).toBe('LOGON_FAILED');
    expect(await refusal(res.client(tb.url, { user: 'bob', password: 'bob-pw' }))).toBe('LOGON_FAILED');
    await auditLine(sink, 'circuit', { state: 'open', module: 'http', config: 'security.authentication' });
    await service.start();
    const asked = service.requests;
    expect(await refusal(res.client(tb.url, { user: 'bob', password: 'bob-pw' }))).toBe('LOGON_FAILED');
    expect((await res.client(tb.url, { user: 'alice', password: 'alice-pw' })).user).toBe('alice');
    expect(service.requests).toBe(asked);
    timers.advance(5000);
    expect((await res.client(tb.url, { user: 'bob', password: 'bob-pw' })).user).toBe('bob');
    expect(service.requests).toBe(asked + 1);
    await auditLine(sink, 'circuit', { state: 'closed', config: 'security.authentication' });
    expect(JSON.parse((await admin(tb, '/admin/entitlements')).text).modules).toEqual([
      {
        kind: 'authentication',
        module: 'http',
        config: 'security.authentication',
        circuit: 'closed',
        consecutiveFailures: 0,
        circuitOpens: 1,
        circuitRefusals: 3, // bob while stopped; bob, and alice given again, while started
        staleAnswers: 2,
        staleEntries: 2,
        staleBytes: expect.any(Number),
      },
    ]);
  });
});

describe('circuit breaker: jwt JWKS', () => {
  it('a stopped JWKS server: once the key set is too old, logons fail, the circuit opens, and a probe closes it', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const jwks = await flakyService((_seen, response) => sendJson(response, 200, { keys: [jwk] }), '/jwks.json');
    const { tb, timers, sink } = await broker({
      authentication: {
        module: 'jwt',
        options: { jwksUrl: jwks.url, algorithms: ['ES256'], circuit: { failures: 2, probeIntervalMs: 5000 } },
      },
    });
    const token = () =>
      new SignJWT({ sub: 'erin' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setExpirationTime('10m')
        .sign(privateKey as CryptoKey);
    expect((await res.client(tb.url, { user: '', token: await token() })).user).toBe('erin');
    await jwks.stop();
    expect((await res.client(tb.url, { user: '', token: await token() })).user).toBe('erin'); // the set in hand
    timers.advance(JWKS_MAX_AGE_MS);
    for (let i = 0; i < 2; i++)
      expect(await refusal(res.client(tb.url, { user: '', token: await token() }))).toBe('LOGON_FAILED');
    await auditLine(sink, 'circuit', { state: 'open', module: 'jwt', config: 'security.authentication' });
    await jwks.start();
    expect(await refusal(res.client(tb.url, { user: '', token: await token() }))).toBe('LOGON_FAILED');
    expect(jwks.requests).toBe(1);
    expect(await moduleMetrics(tb, 'jwt')).toContain(
      'warden_module_circuit_state{module="jwt",config="security.authentication"} 1',
    );
    timers.advance(5000);
    expect((await res.client(tb.url, { user: '', token: await token() })).user).toBe('erin');
    expect(jwks.requests).toBe(2);
    await auditLine(sink, 'circuit', { state: 'closed', module: 'jwt' });
  });
});
