// A live reload swaps a module inside the Authenticator or EntitlementService that gates and
// delivery plans hold: checks from then on ask the new module, checks already asking the old one
// finish with it (their answers not cached), and the old module is closed only after them. And
// through a broker: a listener's own module is reloaded for that listener only.
import { writeFileSync } from 'node:fs';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, WardenError, type Client } from '../../client/index.js';
import { loadConfigFile, startBroker, type BrokerHandle } from '../../server/index.js';
import { Authenticator } from '../../server/security/authenticator.js';
import { EntitlementEpoch } from '../../server/security/entitlement-epoch.js';
import { EntitlementService, EntitlementSwitch } from '../../server/security/entitlement-service.js';
import { LogonGuard } from '../../server/security/logon-guard.js';
import type {
  AuthAnswer,
  AuthenticationModule,
  EntitlementAnswer,
  EntitlementModule,
  LogonRequest,
} from '../../server/security/module-types.js';
import { BrokerStats } from '../../server/stats.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const log = pino({ level: 'silent' });
const temp = useTempDirs();

/** A promise and its resolve, to answer a module call when the test says so. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

interface Recorded<M> {
  readonly module: M;
  readonly events: string[];
}

function entitlementModule(name: string, answer: () => EntitlementAnswer | Promise<EntitlementAnswer>) {
  const events: string[] = [];
  const module: EntitlementModule = {
    name,
    check: (request) => {
      events.push(`check ${request.resource}`);
      return answer();
    },
    close: () => void events.push('close'),
  };
  return { module, events } satisfies Recorded<EntitlementModule>;
}

describe('EntitlementService.replaceModule', () => {
  it('lets a check under way finish with the old module, uncached, and closes it afterwards', async () => {
    const slow = deferred<EntitlementAnswer>();
    const old = entitlementModule('old', () => slow.promise);
    const next = entitlementModule('new', () => ({ allow: false }));
    const epoch = new EntitlementEpoch();
    const service = new EntitlementService(
      old.module,
      () => Promise.resolve(old.module),
      { maxEntries: 100, ttlMs: 0, timeoutMs: 5000, filterSyntax: 'jsonata' },
      new EntitlementSwitch(),
      epoch,
      log,
    );
    const pending = service.check('alice', 'read', 'topic', 'a/1');
    const replaced = service.replaceModule(next.module, () => Promise.resolve(next.module));
    expect(service.moduleName).toBe('new');
    expect(epoch.value).toBeGreaterThan(0);
    expect(old.events).toEqual(['check a/1']);

    slow.resolve({ allow: true });
    expect(await pending).toMatchObject({ allow: true });
    await replaced;
    expect(old.events).toEqual(['check a/1', 'close']);
    // The old answer was not cached: the new module is asked.
    expect(await service.check('alice', 'read', 'topic', 'a/1')).toMatchObject({ allow: false });
    expect(next.events).toEqual(['check a/1']);
  });
});

describe('Authenticator.replaceModule', () => {
  const request: LogonRequest = {
    user: 'alice',
    password: 'pw',
    token: undefined,
    mechanism: 'password',
    data: undefined,
    remoteAddress: '127.0.0.1',
    listener: 'test',
    peerCertificate: undefined,
  };

  it('lets a logon under way finish with the old module, then closes it; new logons ask the new one', async () => {
    const slow = deferred<AuthAnswer>();
    const events: string[] = [];
    const old: AuthenticationModule = {
      name: 'old',
      authenticate: () => (events.push('old authenticate'), slow.promise),
      close: () => void events.push('old close'),
    };
    const next: AuthenticationModule = {
      name: 'new',
      authenticate: () => (events.push('new authenticate'), { outcome: 'reject', reason: 'unknown user' }),
    };
    const stats = new BrokerStats();
    const guard = new LogonGuard(
      { maxInFlight: 2, maxQueuedPerHost: 10, maxQueued: 10 },
      { hostFailures: 100, userFailures: 100, windowMs: 60_000, blockMs: 1000, maxBlockMs: 1000, maxTracked: 100 },
      stats,
      log,
    );
    const auth = new Authenticator(old, 5000, log, guard);
    const first = auth.authenticate(request);
    const replaced = auth.replaceModule(next);
    expect(auth.module).toBe(next);
    expect(events).toEqual(['old authenticate']);

    slow.resolve({ outcome: 'accept', identity: 'alice' });
    expect(await first).toEqual({ outcome: 'accept', identity: 'alice' });
    await replaced;
    expect(events).toEqual(['old authenticate', 'old close']);
    expect(await auth.authenticate(request)).toEqual({ outcome: 'reject', reason: 'unknown user' });
  });
});

describe("a listener's own module", () => {
  const clients: Client[] = [];
  const brokers: BrokerHandle[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(brokers.splice(0).map((b) => b.close()));
  });

  const policy = (topic: string): string =>
    `groups:\n  all:\n    users: [alice]\n    grants:\n      - { actions: [read, write], topics: ["${topic}"] }\n`;

  async function readable(url: string, topics: readonly string[]): Promise<string[]> {
    const client = await connect(url, { user: 'alice', reconnect: false });
    clients.push(client);
    const out: string[] = [];
    for (const topic of topics) {
      try {
        await client.subscribe({ topic });
        out.push(topic);
      } catch (err) {
        if (!(err instanceof WardenError) || err.code !== 'NOT_ENTITLED') throw err;
      }
    }
    return out;
  }

  it('is reloaded for its listener alone, and the instance module for the others', async () => {
    const dir = temp();
    const instance = dir.write('instance.yaml', policy('a/#'));
    const own = dir.write('own.yaml', policy('b/#'));
    const config = dir.write(
      'warden.yaml',
      [
        'persistence: none',
        'sys: { enabled: false }',
        'admin: { enabled: false }',
        `security: { entitlement: { module: policy, options: { file: ${JSON.stringify(instance)} } } }`,
        'listeners:',
        '  - { name: plain, protocol: native, host: 127.0.0.1, port: 0 }',
        '  - name: own',
        '    protocol: native',
        '    host: 127.0.0.1',
        '    port: 0',
        `    entitlement: { module: policy, options: { file: ${JSON.stringify(own)} } }`,
        '',
      ].join('\n'),
    );
    const broker = await startBroker(loadConfigFile(config), {
      logger: pino({ level: 'silent' }),
      reloadFrom: config,
    });
    brokers.push(broker);
    const [plain, ownUrl] = [broker.listeners[0]!.url, broker.listeners[1]!.url];
    const topics = ['a/1', 'b/1', 'c/1'];
    expect(await readable(ownUrl, topics)).toEqual(['b/1']);

    writeFileSync(own, policy('c/#'));
    expect(await broker.reload({ reset: 'none' })).toMatchObject({
      applied: true,
      changed: ['listeners[1].entitlement.options.file'],
      reset: { mode: 'none', disconnected: 0 },
    });
    expect(await readable(ownUrl, topics)).toEqual(['c/1']);
    expect(await readable(plain, topics)).toEqual(['a/1']);
  });

  it('re-evaluates open connections with reset reevaluate: a subscription now denied ends, the connection stays', async () => {
    const dir = temp();
    const file = dir.write('policy.yaml', policy('a/#'));
    const config = dir.write(
      'warden.yaml',
      [
        'persistence: none',
        'sys: { enabled: false }',
        'admin: { enabled: false }',
        `security: { entitlement: { module: policy, options: { file: ${JSON.stringify(file)} } } }`,
        'listeners: [{ name: plain, protocol: native, host: 127.0.0.1, port: 0 }]',
        '',
      ].join('\n'),
    );
    const broker = await startBroker(loadConfigFile(config), { logger: pino({ level: 'silent' }), reloadFrom: config });
    brokers.push(broker);
    const client = await connect(broker.listeners[0]!.url, { user: 'alice', reconnect: false });
    clients.push(client);
    const subscription = await client.subscribe({ topic: 'a/1' });
    const ended = new Promise<string | undefined>((resolve) =>
      subscription.once('end', ({ error }) => resolve(error?.code)),
    );
    writeFileSync(file, policy('b/#'));
    expect(await broker.reload({ reset: 'reevaluate' })).toMatchObject({
      applied: true,
      reset: { mode: 'reevaluate', disconnected: 0, subscriptionsRevoked: 1 },
    });
    expect(await ended).toBe('ENTITLEMENT_REVOKED');
    expect(client.state).toBe('connected');
  });
});
