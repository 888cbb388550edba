// Logon flood: one host's flood of logons must not delay another host's logon. The
// credential checks (scrypt in the `users` module) go through a bounded queue shared out between
// remote hosts in turn; each host's queue is capped. Two hosts on one machine: 127.0.0.2 floods,
// 127.0.0.1 logs on (test/helpers/two-hosts.ts). Where the order of checks is what is tested, a
// module file that answers when the test says replaces `users`, so counting decides, not timing.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBroker, type BrokerHandle } from '../../server/index.js';
import { hashPassword } from '../../server/security/authentication/password-hash.js';
import { assertTestTransport, TEST_TRANSPORT } from '../helpers/broker.js';
import { moduleDir, type ModuleDir } from '../helpers/module-files.js';
import { HOST_A, HOST_B, TwoHosts, type LogonAnswer, type PendingLogon } from '../helpers/two-hosts.js';

const hosts = new TwoHosts();
const brokers: BrokerHandle[] = [];
let modules: ModuleDir;
/** At the default scrypt cost (about 32 ms a check here unloaded; 10 times that on a busy 2-core box). */
let users: { name: string; hash: string }[];
/** At a quarter of it: where fairness is tested, so that the test machine's load cannot decide. */
let cheapUsers: { name: string; hash: string }[];

beforeAll(async () => {
  modules = moduleDir();
  users = [{ name: 'alice', hash: await hashPassword('alice-pw') }];
  // Unknown users are checked against a dummy hash of the first user's cost.
  cheapUsers = [{ name: 'alice', hash: await hashPassword('alice-pw', { N: 4096, r: 8, p: 1 }) }];
});

afterEach(async () => {
  hosts.teardown();
  await Promise.all(brokers.splice(0).map((b) => b.close()));
  held().calls.length = 0;
});

afterAll(() => modules.remove());

interface Started {
  broker: BrokerHandle;
  url: string;
  mqttUrl: string;
}

async function start(sections: {
  security?: Record<string, unknown>;
  admission?: Record<string, unknown>;
}): Promise<Started> {
  const broker = await startBroker(
    {
      log: { level: 'silent' },
      persistence: 'none',
      admin: { enabled: false },
      shutdown: { graceMs: 500 },
      security: sections.security ?? {},
      admission: sections.admission ?? {},
      listeners: [
        { name: 'native', protocol: 'native', host: '127.0.0.1', port: 0, transport: TEST_TRANSPORT },
        { name: 'mqtt', protocol: 'mqtt', transport: 'tcp', host: '127.0.0.1', port: 0 },
      ],
    },
    { baseDir: modules.dir },
  );
  brokers.push(broker);
  assertTestTransport(broker);
  return { broker, url: broker.listeners[0]!.url, mqttUrl: broker.listeners[1]!.url };
}

const usersModule = (list = users) => ({ module: 'users', options: { users: list } });

/** Flood and logon over either protocol: `ghost` names are unknown to the users module. */
const PROTOCOLS = [
  {
    name: 'MQTT over TCP',
    ok: 0 as LogonAnswer,
    logon: (tb: Started, host: string, user: string, password: string): PendingLogon =>
      hosts.mqtt(tb.mqttUrl, host, { clientId: `${user}-${host}`, username: user, password: Buffer.from(password) }),
  },
  {
    name: 'native',
    ok: 'ack' as LogonAnswer,
    logon: (tb: Started, host: string, user: string, password: string): PendingLogon =>
      hosts.native(tb.url, host, user, password),
  },
];

describe('logon flood from another host (users module, real scrypt)', () => {
  it.each(PROTOCOLS)(
    "$name: a logon from 127.0.0.1 goes ahead of 127.0.0.2's 100+ queued checks, and is done within 1 s",
    async ({ logon, ok }) => {
      // Only the fair queue defends here: no rate limit, no back-off, room for the whole flood. The
      // checks are cheap so that the flood queues faster than it drains, and so that the 1 s bound
      // holds on a loaded machine: what decides is the place in the queue, which is asserted first.
      const tb = await start({
        security: {
          authentication: usersModule(cheapUsers),
          logonQueue: { maxInFlight: 2, maxQueuedPerHost: 1000, maxQueued: 1000 },
          logonBackoff: { hostFailures: 0, userFailures: 0 },
        },
        admission: { connectionRate: { perSecond: 0 }, maxUnauthenticatedPerHost: 1000 },
      });
      const FLOOD = 300;
      let floodAnswered = 0;
      const flood = Array.from({ length: FLOOD }, (_, i) => logon(tb, HOST_B, `ghost${i}`, 'guess'));
      for (const f of flood) void f.answer.then(() => floodAnswered++);
      // Wait for the broker to have taken in the whole flood (the kernel hands it sockets in order:
      // a socket behind the flood's is accepted after them) and queued its checks (its own gauge).
      await vi.waitFor(
        () => {
          const stats = tb.broker.stats();
          expect(stats.connectionsAccepted).toBe(FLOOD);
          expect(stats.logonChecksQueued).toBeGreaterThanOrEqual(100);
        },
        { timeout: 15_000, interval: 10 },
      );

      const started = performance.now();
      const alice = logon(tb, HOST_A, 'alice', 'alice-pw');
      expect(await alice.answer).toBe(ok);
      const elapsed = performance.now() - started;
      // In turn: alice's check waits for one of 127.0.0.2's at most, so most of the flood is still
      // unanswered when she is in. Without the queue, every check queued ahead of hers (100+)
      // would finish first.
      expect(FLOOD - floodAnswered).toBeGreaterThanOrEqual(50);
      expect(tb.broker.stats().logonChecksQueued).toBeGreaterThanOrEqual(40);
      expect(elapsed).toBeLessThan(1000);
      for (const f of flood) f.close();
    },
  );

  it('at the default limits and scrypt cost: 400 unknown-user CONNECTs from 127.0.0.2 cost at most 22 checks; 127.0.0.1 still logs on', async () => {
    const tb = await start({ security: { authentication: usersModule() } });
    const flood = Array.from({ length: 400 }, (_, i) =>
      hosts.mqtt(tb.mqttUrl, HOST_B, { clientId: `f${i}`, username: `ghost${i}`, password: Buffer.from('guess') }),
    );
    // Until the broker has taken in the whole flood (the kernel hands it sockets in order).
    await vi.waitFor(
      () => {
        const s = tb.broker.stats();
        expect(s.connectionsAccepted + s.connectionsRefusedUnauthenticated).toBe(400);
      },
      { timeout: 15_000, interval: 10 },
    );
    const started = performance.now();
    const alice = hosts.mqtt(tb.mqttUrl, HOST_A, {
      clientId: 'alice',
      username: 'alice',
      password: Buffer.from('alice-pw'),
    });
    expect(await alice.answer).toBe(0);
    // At most two checks of the default cost ahead of alice's; the 1 s bar is asserted above,
    // where the cost of a check is fixed small, since here a loaded machine's scrypt takes ~0.5 s.
    expect(performance.now() - started).toBeLessThan(5000);

    const answers = await Promise.all(flood.map((f) => f.answer));
    const tally = new Map<LogonAnswer, number>();
    for (const a of answers) tally.set(a, (tally.get(a) ?? 0) + 1);
    // 0x86: checked and refused. The rest was refused without a check: 0x89 (its host's queue was
    // full), 0x8A (the host was blocked after 20 failures), 0x9F (rate) or closed at once
    // (admission.maxUnauthenticatedPerHost).
    expect([...tally.keys()].every((a) => [0x86, 0x89, 0x8a, 0x9f, 'closed'].includes(a))).toBe(true);
    // 20 failures block the host; at most the 2 in flight then still finish (queued ones are refused 0x8A).
    expect(tally.get(0x86) ?? 0).toBeLessThanOrEqual(22);
    const stats = tb.broker.stats();
    expect(stats.logonBlocks).toBeGreaterThanOrEqual(1);
    expect(stats.logons).toBe(1);
  }, 60_000); // an upper bound: 22 checks of the default cost take ~10 s on a loaded 2-core machine
});

// ---- the queue itself, with a module that answers when the test says ----------------------

interface HeldCall {
  user: string;
  resolve(answer: unknown): void;
}
interface HeldState {
  calls: HeldCall[];
  listeners: (() => void)[];
}

const HELD_MODULE = `
const state = (globalThis.__wardenHeldAuth ??= { calls: [], listeners: [] });
export default function create() {
  return {
    name: 'held',
    authenticate(request) {
      return new Promise((resolve) => {
        state.calls.push({ user: request.user, resolve });
        for (const listener of state.listeners.splice(0)) listener();
      });
    },
  };
}
`;

function held(): HeldState {
  const g = globalThis as { __wardenHeldAuth?: HeldState };
  g.__wardenHeldAuth ??= { calls: [], listeners: [] };
  return g.__wardenHeldAuth;
}

/** Resolves once the module has been asked `n` times in all. */
function calls(n: number): Promise<void> {
  const state = held();
  return new Promise((resolve) => {
    const check = (): void => {
      if (state.calls.length >= n) resolve();
      else state.listeners.push(check);
    };
    check();
  });
}

function accept(call: HeldCall): void {
  call.resolve({ outcome: 'accept', identity: call.user });
}

async function queued(tb: Started, n: number): Promise<void> {
  await vi.waitFor(() => expect(tb.broker.stats().logonChecksQueued).toBe(n), { timeout: 10_000, interval: 5 });
}

const heldBroker = (logonQueue: Record<string, number>) => {
  const path = modules.write('held-auth.mjs', HELD_MODULE);
  return start({ security: { authentication: { module: path }, logonQueue } });
};

describe('the logon queue', () => {
  it('gives a free slot to the waiting hosts in turn', async () => {
    const tb = await heldBroker({ maxInFlight: 1 });
    const logon = (host: string, user: string) =>
      hosts.mqtt(tb.mqttUrl, host, { clientId: user, username: user, password: Buffer.from('pw') });
    const b1 = logon(HOST_B, 'b1');
    await calls(1);
    const rest = [logon(HOST_B, 'b2'), logon(HOST_B, 'b3'), logon(HOST_B, 'b4'), logon(HOST_B, 'b5')];
    await queued(tb, 4);
    const fromA = [logon(HOST_A, 'a1'), logon(HOST_A, 'a2')];
    await queued(tb, 6);
    for (let i = 0; i < 6; i++) {
      accept(held().calls[i]!);
      await calls(i + 2);
    }
    accept(held().calls[6]!);
    expect(held().calls.map((c) => c.user)).toEqual(['b1', 'b2', 'a1', 'b3', 'a2', 'b4', 'b5']);
    expect(await Promise.all([b1, ...rest, ...fromA].map((l) => l.answer))).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it("refuses at once over a host's queue (maxQueuedPerHost) and over the whole queue (maxQueued): SERVER_BUSY, CONNACK 0x89 / 3", async () => {
    const tb = await heldBroker({ maxInFlight: 1, maxQueuedPerHost: 2, maxQueued: 3 });
    const logon = (host: string, user: string, version: 4 | 5 = 5) =>
      hosts.mqtt(tb.mqttUrl, host, { clientId: user, username: user, password: Buffer.from('pw') }, version);
    const running = logon(HOST_B, 'b1');
    await calls(1);
    const waiting = [logon(HOST_B, 'b2'), logon(HOST_B, 'b3')];
    await queued(tb, 2);
    // 127.0.0.2 has its 2 waiting: refused, over both protocol versions and the native protocol.
    expect(await logon(HOST_B, 'b4').answer).toBe(0x89);
    expect(await logon(HOST_B, 'b5', 4).answer).toBe(3);
    expect(await hosts.native(tb.url, HOST_B, 'b6', 'pw').answer).toBe('SERVER_BUSY');
    // 127.0.0.1 still gets a place; then the queue as a whole is full.
    const a1 = logon(HOST_A, 'a1');
    await queued(tb, 3);
    expect(await logon(HOST_A, 'a2').answer).toBe(0x89);
    expect(tb.broker.stats()).toMatchObject({ logonsRefusedBusy: 4, logonChecksInFlight: 1, logonChecksQueued: 3 });
    for (let i = 0; i < 4; i++) {
      await calls(i + 1);
      accept(held().calls[i]!);
    }
    expect(await Promise.all([running, ...waiting, a1].map((l) => l.answer))).toEqual([0, 0, 0, 0]);
    expect(held().calls).toHaveLength(4);
  });

  it('skips the check of a connection that closed while it waited', async () => {
    const tb = await heldBroker({ maxInFlight: 1 });
    const logon = (host: string, user: string) =>
      hosts.mqtt(tb.mqttUrl, host, { clientId: user, username: user, password: Buffer.from('pw') });
    const b1 = logon(HOST_B, 'b1');
    await calls(1);
    const gone = logon(HOST_B, 'gone');
    await queued(tb, 1);
    gone.close();
    await vi.waitFor(() => expect(tb.broker.connectionCount).toBe(1), { timeout: 10_000, interval: 5 });
    accept(held().calls[0]!);
    expect(await b1.answer).toBe(0);
    const a1 = logon(HOST_A, 'a1');
    await calls(2);
    accept(held().calls[1]!);
    expect(await a1.answer).toBe(0);
    expect(held().calls.map((c) => c.user)).toEqual(['b1', 'a1']);
    expect(tb.broker.stats().logonChecksQueued).toBe(0);
  });
});
