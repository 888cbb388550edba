// The `http` entitlement module's circuit breaker and stale answers, against a real local service
// that the test stops, slows down and starts again on the same port; the module's time is a
// hand-moved clock (context.timers), so intervals are checked by moving it, not by waiting.
import { describe, expect, it } from 'vitest';
import { createHttpEntitlement } from '../../../server/security/entitlement/index.js';
import type { EntitlementModule } from '../../../server/security/module-types.js';
import { ManualTimers } from '../../helpers/manual-timers.js';
import { sendJson, useFlakyServices, type FlakyService } from '../flaky-service.js';
import { configErrorOf, read, testContext, write } from './helpers.js';

const flakyService = useFlakyServices();

/** Allows topics under ok/, denies the rest; 404 for topics under missing/. */
async function policyService(): Promise<FlakyService> {
  return flakyService((seen, response) => {
    const { resource } = seen.body as { resource: string };
    if (resource.startsWith('missing/')) return sendJson(response, 404, {});
    sendJson(response, 200, { allow: resource.startsWith('ok/') });
  });
}

async function setup(options: Record<string, unknown>) {
  const service = await policyService();
  const timers = new ManualTimers();
  const context = { ...testContext(), timers };
  const module = await createHttpEntitlement(
    { url: service.url, circuit: { failures: 3, probeIntervalMs: 5000 }, ...options },
    context,
  );
  return { service, timers, context, module };
}

const health = (module: EntitlementModule) => module.health!();

describe('http entitlement: circuit breaker', () => {
  it('opens after N failures, then refuses at once without asking; a probe after the interval closes it', async () => {
    const { service, timers, context, module } = await setup({});
    await expect(module.check(read('alice', 'ok/1'))).resolves.toEqual({ allow: true });
    await service.stop();
    for (let i = 0; i < 3; i++)
      await expect(module.check(read('alice', `ok/${i}`))).rejects.toThrow(/fetch failed \(connect ECONNREFUSED/);
    expect(health(module)).toMatchObject({ circuit: 'open', circuitOpens: 1, consecutiveFailures: 3 });

    await service.start();
    const asked = service.requests;
    // Open: refused at once, although the service is back.
    await expect(module.check(read('alice', 'ok/9'))).rejects.toThrow(
      /^entitlement service http:\/\/127\.0\.0\.1:\d+\/check: circuit open \(last failure: fetch failed/,
    );
    timers.advance(4999);
    await expect(module.check(read('alice', 'ok/9'))).rejects.toThrow(/circuit open/);
    expect(service.requests).toBe(asked);
    expect(health(module)).toMatchObject({ circuit: 'open', circuitRefusals: 2 });

    timers.advance(1);
    await expect(module.check(read('alice', 'ok/9'))).resolves.toEqual({ allow: true });
    expect(service.requests).toBe(asked + 1);
    expect(health(module)).toMatchObject({ circuit: 'closed', consecutiveFailures: 0, circuitOpens: 1 });
    expect(context.audited.map((line) => [line.event, line.fields.state])).toEqual([
      ['circuit', 'open'],
      ['circuit', 'closed'],
    ]);
    expect(context.audited[0]!.fields).toMatchObject({
      module: 'http',
      config: 'security.entitlement',
      failures: 3,
      reason: expect.stringMatching(/ECONNREFUSED/),
    });
    expect(context.audited[1]!.fields).toMatchObject({ openMs: 5000, refused: 2 });
  });

  it('a failed probe keeps it open for another interval; only one probe goes out at a time', async () => {
    const { service, timers, module } = await setup({ timeoutMs: 100 });
    await service.stop();
    for (let i = 0; i < 3; i++) await expect(module.check(read('alice', 'ok/1'))).rejects.toThrow();
    timers.advance(5000);
    await expect(module.check(read('alice', 'ok/1'))).rejects.toThrow(/ECONNREFUSED/); // the probe
    expect(health(module)).toMatchObject({ circuit: 'open', circuitOpens: 1 });
    await expect(module.check(read('alice', 'ok/1'))).rejects.toThrow(/circuit open/);

    // The service is back but slow: the next probe is out while other checks are refused.
    await service.start();
    service.slow = true;
    timers.advance(5000);
    const probe = module.check(read('alice', 'ok/1'));
    await service.received(1);
    expect(health(module).circuit).toBe('half-open');
    await expect(module.check(read('bob', 'ok/2'))).rejects.toThrow(/circuit open/);
    await expect(probe).rejects.toThrow(/did not answer within 100 ms/);
    expect(health(module).circuit).toBe('open');
    expect(service.requests).toBe(1);
  });

  it('a slow service counts its timeouts as failures', async () => {
    const { service, module } = await setup({ timeoutMs: 50 });
    service.slow = true;
    for (let i = 0; i < 3; i++)
      await expect(module.check(read('alice', 'ok/1'))).rejects.toThrow(/did not answer within 50 ms/);
    expect(health(module).circuit).toBe('open');
    await expect(module.check(read('alice', 'ok/1'))).rejects.toThrow(/circuit open \(last failure: did not answer/);
    expect(service.requests).toBe(3);
  });

  it('5xx counts; a clear deny, a 404 and a malformed answer do not', async () => {
    const { service, module } = await setup({});
    for (let i = 0; i < 5; i++) {
      await expect(module.check(read('alice', 'no/1'))).resolves.toMatchObject({ allow: false });
      await expect(module.check(read('alice', 'missing/1'))).rejects.toThrow(/answered HTTP 404/);
    }
    service.handler = (_seen, response) => sendJson(response, 200, { allow: true, filters: 'typo' });
    for (let i = 0; i < 5; i++) await expect(module.check(read('alice', 'ok/1'))).rejects.toThrow(/unexpected JSON/);
    expect(health(module)).toMatchObject({ circuit: 'closed', consecutiveFailures: 0 });
    service.handler = (_seen, response) => sendJson(response, 503, {});
    for (let i = 0; i < 3; i++) await expect(module.check(read('alice', 'ok/1'))).rejects.toThrow(/answered HTTP 503/);
    expect(health(module).circuit).toBe('open');
  });

  it('circuit: false never opens', async () => {
    const { service, module } = await setup({ circuit: false });
    await service.stop();
    for (let i = 0; i < 20; i++) await expect(module.check(read('alice', 'ok/1'))).rejects.toThrow(/ECONNREFUSED/);
    expect(health(module)).toMatchObject({ circuit: 'closed', circuitOpens: 0, consecutiveFailures: 20 });
  });
});

describe('http entitlement: stale answers (serveStaleMs)', () => {
  it('gives a previous answer for the same request while failing, up to serveStaleMs after it was given; never invents one', async () => {
    const { service, timers, context, module } = await setup({ serveStaleMs: 60_000 });
    await expect(module.check(read('alice', 'ok/1'))).resolves.toEqual({ allow: true });
    await expect(module.check(write('alice', 'no/1'))).resolves.toMatchObject({ allow: false });
    timers.advance(10_000);
    await service.stop();
    await expect(module.check(read('alice', 'ok/1'))).resolves.toEqual({ allow: true });
    await expect(module.check(write('alice', 'no/1'))).resolves.toMatchObject({ allow: false });
    // Never asked before: not invented. Nor another user's, nor another action's.
    await expect(module.check(read('alice', 'ok/2'))).rejects.toThrow(/ECONNREFUSED/);
    await expect(module.check(read('bob', 'ok/1'))).rejects.toThrow(/circuit open/);
    await expect(module.check(write('alice', 'ok/1'))).rejects.toThrow(/circuit open/);
    // The circuit is open: given again without asking.
    await expect(module.check(read('alice', 'ok/1'))).resolves.toEqual({ allow: true });
    expect(health(module)).toMatchObject({ circuit: 'open', staleAnswers: 3, staleEntries: 2 });
    expect(context.audited.filter((line) => line.event === 'stale-answer')).toHaveLength(1);

    // The broker caches what it is given: the module has it forgotten when serveStaleMs runs out.
    expect(context.invalidated).toEqual([]);
    timers.advance(49_999);
    expect(context.invalidated).toEqual([]);
    timers.advance(1);
    expect(context.invalidated).toEqual([
      { user: 'alice', action: 'write', resource: 'no/1' },
      { user: 'alice', action: 'read', resource: 'ok/1' },
    ]);
    // And then it is too old to give (this check is a probe, which fails).
    await expect(module.check(read('alice', 'ok/1'))).rejects.toThrow(/ECONNREFUSED/);
    expect(health(module).staleAnswers).toBe(3);
  });

  it('when the service answers again, the answers given stale are forgotten at once', async () => {
    const { service, timers, context, module } = await setup({ serveStaleMs: 60_000 });
    await module.check(read('alice', 'ok/1'));
    await service.stop();
    await expect(module.check(read('alice', 'ok/1'))).resolves.toEqual({ allow: true });
    await service.start();
    await expect(module.check(read('bob', 'ok/2'))).resolves.toEqual({ allow: true });
    expect(context.invalidated).toEqual([{ user: 'alice', action: 'read', resource: 'ok/1' }]);
    // Its timer is gone with it.
    timers.advance(60_000);
    expect(context.invalidated).toHaveLength(1);
  });

  it('a 404 or malformed answer is not a failure: nothing is given instead', async () => {
    const { service, module } = await setup({ serveStaleMs: 60_000 });
    await module.check(read('alice', 'ok/1'));
    service.handler = (_seen, response) => sendJson(response, 404, {});
    await expect(module.check(read('alice', 'ok/1'))).rejects.toThrow(/answered HTTP 404/);
  });

  it('validates the options, naming the key and the form', async () => {
    const service = await policyService();
    const issues = async (options: Record<string, unknown>) =>
      (await configErrorOf(() => createHttpEntitlement({ url: service.url, ...options }, testContext()))).issues;
    expect(await issues({ circuit: 'sometimes' })).toEqual([
      {
        path: 'security.entitlement.options.circuit',
        message:
          'expected false (no circuit breaker), true (the defaults) or { failures, probeIntervalMs }, got "sometimes"',
      },
    ]);
    expect(await issues({ circuit: { failures: 0, probeIntervalMs: 10 } })).toEqual([
      { path: 'security.entitlement.options.circuit.failures', message: 'expected an integer from 1 to 1000, got 0' },
      {
        path: 'security.entitlement.options.circuit.probeIntervalMs',
        message: 'expected an integer from 100 to 3600000, got 10',
      },
    ]);
    expect(await issues({ serveStaleMs: -1, staleMaxEntries: 0, staleMaxBytes: 10 })).toEqual([
      { path: 'security.entitlement.options.serveStaleMs', message: 'expected an integer from 0 to 86400000, got -1' },
      {
        path: 'security.entitlement.options.staleMaxEntries',
        message: 'expected an integer from 1 to 1000000, got 0',
      },
      {
        path: 'security.entitlement.options.staleMaxBytes',
        message: 'expected an integer from 1024 to 1073741824, got 10',
      },
    ]);
  });
});
