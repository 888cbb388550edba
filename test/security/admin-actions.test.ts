// Entitlement reset, disable and enable with AMPS's semantics ("Disabling Entitlement"), through
// real connections.
import { afterAll, describe, expect, it } from 'vitest';
import { connect, WardenError, type Client } from '../../client/index.js';
import { CloseCodes } from '../../protocol/native.js';
import { useBrokerClients } from '../helpers/broker-clients.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { moduleDir } from '../helpers/module-files.js';

const modules = moduleDir();
afterAll(() => modules.remove());

// Allows reads of allowed/ only; records module contexts (one per factory call) and resets.
const module = modules.write(
  'recording.mjs',
  `export default function () {
    const state = (globalThis.__wardenAdmin ??= { contexts: 0, resets: 0, calls: 0 });
    state.contexts++;
    return {
      name: 'recording',
      check({ action, resource }) {
        state.calls++;
        return { allow: action !== 'read' || resource.startsWith('allowed/') };
      },
      reset() { state.resets++; },
    };
  }`,
);
type State = { contexts: number; resets: number; calls: number };
const state = (): State => (globalThis as unknown as { __wardenAdmin: State }).__wardenAdmin;

let tb: TestBroker;
const client = useBrokerClients(() => tb);

function disconnected(c: Client): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => c.once('disconnected', (info) => resolve(info)));
}

const codeOf = (err: unknown): string | undefined => (err instanceof WardenError ? err.code : undefined);

describe('entitlement admin actions', () => {
  it('reset for one user clears their answers, calls the module reset, and disconnects exactly their connections', async () => {
    tb = await startTestBroker({ security: { entitlement: { module } } });
    const alice1 = await client('alice');
    const alice2 = await client('alice');
    const bob = await client('bob');
    await alice1.subscribe({ topic: 'allowed/a' });
    await bob.subscribe({ topic: 'allowed/a' });
    const sizeBefore = tb.broker.admin.entitlementStatus().cache.size;
    const resetsBefore = state().resets;
    const gone = [disconnected(alice1), disconnected(alice2)];
    expect(await tb.broker.admin.resetEntitlements('alice')).toEqual({ disconnected: 2 });
    for (const info of await Promise.all(gone)) expect(info.code).toBe(CloseCodes.ENTITLEMENTS_RESET);
    expect(state().resets).toBe(resetsBefore + 1);
    // alice's logon and read answers are gone, bob's stay.
    expect(tb.broker.admin.entitlementStatus().cache.size).toBe(sizeBefore - 2);
    expect(await bob.ping()).toBeGreaterThanOrEqual(0);
    expect(bob.state).toBe('connected');
  });

  it('reset for everyone disconnects every logged-on connection and empties the cache', async () => {
    tb = await startTestBroker({ security: { entitlement: { module } } });
    const a = await client('a');
    const b = await client('b');
    const gone = [disconnected(a), disconnected(b)];
    expect(await tb.broker.admin.resetEntitlements()).toEqual({ disconnected: 2 });
    await Promise.all(gone);
    expect(tb.broker.admin.entitlementStatus().cache.size).toBe(0);
  });

  it('disable allows everything without caching; enable builds a new module context and keeps connections', async () => {
    tb = await startTestBroker({ security: { entitlement: { module } } });
    const c = await client('carol');
    expect(codeOf(await c.subscribe({ topic: 'denied/x' }).catch((e: unknown) => e))).toBe('NOT_ENTITLED');
    const contextsBefore = state().contexts;

    await tb.broker.admin.disableEntitlements();
    const callsWhileDisabled = state().calls;
    const sub = await c.subscribe({ topic: 'denied/x' });
    await c.publish('denied/x', 1, { ack: true });
    expect(state().calls).toBe(callsWhileDisabled); // the module is not consulted
    expect(tb.broker.admin.entitlementStatus()).toMatchObject({ enabled: false, cache: { size: 0 } });

    await tb.broker.admin.enableEntitlements();
    expect(state().contexts).toBe(contextsBefore + 1);
    expect(tb.broker.admin.entitlementStatus()).toMatchObject({ enabled: true, cache: { size: 0 } });
    // The connection and the subscription made while disabled are kept (as in AMPS)...
    expect(c.state).toBe('connected');
    expect(sub.active).toBe(true);
    // ...but new requests go to the (new) module again.
    expect(codeOf(await c.subscribe({ topic: 'denied/y' }).catch((e: unknown) => e))).toBe('NOT_ENTITLED');
  });
});

describe('authentication modules at instance and listener level', () => {
  it('a listener module overrides the instance module (deny-all instance, allow-any listener)', async () => {
    tb = await startTestBroker({
      security: { authentication: { module: 'deny-all' } },
      listenerSecurity: { authentication: { module: 'allow-any' } },
    });
    const c = await client('dave');
    expect(c.user).toBe('dave');
  });

  it('deny-all refuses the logon with LOGON_FAILED and closes the connection', async () => {
    tb = await startTestBroker({ security: { authentication: { module: 'deny-all' } } });
    const err = await connect(tb.url, { user: 'eve', password: 'x', reconnect: false }).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('LOGON_FAILED');
    expect(tb.broker.stats().logonFailures).toBe(1);
  });
});
