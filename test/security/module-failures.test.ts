// Modules that throw, reject or never answer deny (fail closed) with a specific code, are
// counted, and the broker goes on serving everyone else. Also: user module loading errors.
import { afterAll, describe, expect, it } from 'vitest';
import { connect, WardenError } from '../../client/index.js';
import { ConfigError } from '../../server/index.js';
import { useBrokerClients } from '../helpers/broker-clients.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { moduleDir } from '../helpers/module-files.js';

const modules = moduleDir();
afterAll(() => modules.remove());

// Denies nothing, but misbehaves on topics named after the failure it should simulate.
const flakyEntitlement = modules.write(
  'flaky.mjs',
  `export default () => ({
    name: 'flaky',
    check({ action, resource }) {
      if (action === 'read' && resource.startsWith('readfail/')) throw new Error('read boom');
      if (resource.startsWith('throw/')) throw new Error('boom');
      if (resource.startsWith('reject/')) return Promise.reject(new Error('down'));
      if (resource.startsWith('hang/')) return new Promise(() => {});
      return { allow: true };
    },
  })`,
);
const flakyAuthentication = modules.write(
  'flaky-auth.mjs',
  `export default () => ({
    name: 'flaky-auth',
    authenticate({ user }) {
      if (user === 'thrower') throw new Error('auth boom');
      if (user === 'hanger') return new Promise(() => {});
      return { outcome: 'accept', identity: user };
    },
  })`,
);

let tb: TestBroker;
const client = useBrokerClients(() => tb);

const codeOf = (err: unknown): string | undefined => (err instanceof WardenError ? err.code : undefined);

describe('failing modules deny and the broker keeps serving', () => {
  it('maps a thrown, rejected or timed-out entitlement check to ENTITLEMENT_UNAVAILABLE', async () => {
    tb = await startTestBroker({
      security: { entitlement: { module: flakyEntitlement }, moduleTimeoutMs: 200 },
    });
    const c = await client('alice');
    for (const topic of ['throw/a', 'reject/a', 'hang/a']) {
      expect(codeOf(await c.subscribe({ topic }).catch((e: unknown) => e))).toBe('ENTITLEMENT_UNAVAILABLE');
      expect(codeOf(await c.publish(topic, 1, { ack: true }).catch((e: unknown) => e))).toBe('ENTITLEMENT_UNAVAILABLE');
    }
    // Failures are not cached: the module is asked again next time.
    expect(codeOf(await c.subscribe({ topic: 'throw/a' }).catch((e: unknown) => e))).toBe('ENTITLEMENT_UNAVAILABLE');
    const status = tb.broker.admin.entitlementStatus();
    expect(status.failures).toBe(7);
    expect(status.cache.size).toBe(1); // only alice's logon answer
    // Everyone else is served.
    const other = await client('bob');
    const heard = new Promise((resolve) => void other.subscribe({ topic: 'fine/x' }, (m) => resolve(m.data)));
    await other.ping();
    await c.publish('fine/x', 'still working', { ack: true });
    expect(await heard).toBe('still working');
  });

  it('drops deliveries on a wildcard subscription whose per-topic check fails', async () => {
    tb = await startTestBroker({ security: { entitlement: { module: flakyEntitlement }, moduleTimeoutMs: 200 } });
    const reader = await client('reader');
    const got: string[] = [];
    let done!: () => void;
    const sawFine = new Promise<void>((r) => (done = r));
    await reader.subscribe({ topic: '#' }, (m) => {
      got.push(m.topic);
      if (m.topic === 'fine/end') done();
    });
    const writer = await client('writer');
    await writer.publish('readfail/a', 1, { ack: true });
    await writer.publish('readfail/a', 2, { ack: true });
    await writer.publish('fine/end', 1, { ack: true });
    await sawFine;
    expect(got).toEqual(['fine/end']);
    expect(tb.broker.stats().deliveriesNotEntitled).toBe(2);
    // A failed answer is held for a second before the next attempt, not asked per message.
    expect(tb.broker.admin.entitlementStatus().failures).toBeGreaterThanOrEqual(1);
    expect(tb.broker.admin.entitlementStatus().failures).toBeLessThanOrEqual(2);
  });

  it('refuses the logon with AUTHENTICATION_UNAVAILABLE when the authentication module throws or hangs', async () => {
    tb = await startTestBroker({ security: { authentication: { module: flakyAuthentication }, moduleTimeoutMs: 200 } });
    for (const user of ['thrower', 'hanger']) {
      const err = await connect(tb.url, { user, password: 'pw', reconnect: false }).catch((e: unknown) => e);
      expect(codeOf(err)).toBe('AUTHENTICATION_UNAVAILABLE');
    }
    expect(tb.broker.stats().logonFailures).toBe(2);
    const ok = await client('regular');
    expect(await ok.ping()).toBeGreaterThanOrEqual(0);
  });
});

describe('loading modules', () => {
  it('refuses to start with an unknown built-in name, naming the key', async () => {
    const err = await startTestBroker({ security: { entitlement: { module: 'no-such-module' } } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(
      /security\.entitlement\.module: unknown entitlement module "no-such-module"; expected one of allow-all/,
    );
  });

  it('refuses a module file without a default-exported factory, and a missing file', async () => {
    const bad = modules.write('bad.mjs', 'export const notDefault = 1;');
    const err = await startTestBroker({ security: { authentication: { module: bad } } }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/security\.authentication\.module: .*must default-export a factory/);
    const missing = await startTestBroker({
      security: { authentication: { module: './nowhere.mjs' } },
      baseDir: modules.dir,
    }).catch((e: unknown) => e);
    expect((missing as Error).message).toMatch(/cannot load authentication module .*nowhere\.mjs/);
  });

  it('resolves a relative module path against the base directory', async () => {
    modules.write(
      'relative-deny.mjs',
      `export default () => ({ name: 'rel', authenticate: () => ({ outcome: 'reject', reason: 'no' }) });`,
    );
    tb = await startTestBroker({
      security: { authentication: { module: './relative-deny.mjs' } },
      baseDir: modules.dir,
    });
    const err = await connect(tb.url, { user: 'x', password: 'y', reconnect: false }).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('LOGON_FAILED');
  });
});
