// The entitled fan-out shared by `bench:entitled` and `bench:scenarios` (scenario 4): the policy
// giving each subscriber its read grant (optionally with a content filter and select list), the
// ~128-byte trade every filter matches, and one measured fan-out over the native protocol
// (N subscribers on `bench/#`, one publisher flooding one topic within a window, then a drain).
import type { Encoding } from '../../protocol/native.js';
import { encodeFrame, floodPublish, now, openNative, setupCall, waitUntil } from '../native-load.js';

export const ENTITLED_TOPIC = 'bench/trades';

/** A trade of about 128 bytes; every filter below matches it, so every subscriber receives every message. */
export const TRADE = {
  sym: 'ABCD',
  px: 101.25,
  qty: 300,
  side: 'buy',
  region: 'EU',
  desk: 'rates',
  trader: 'alice',
  venue: 'XLON',
  ref: 'r-0000000001',
};

/**
 * `plain`: read grants without filters or select lists; `entitled`: every subscriber has the same
 * filter and select list; `mixed`: 10 distinct entitlements (filter + select list) across them.
 */
export type EntitlementScenario = 'plain' | 'entitled' | 'mixed';

/** The `policy` module's policy giving subscriber k (user `sub${k}`) its read grant, and `publisher` write on `bench/#`. */
export function entitledPolicy(
  scenario: EntitlementScenario,
  subscriberCount: number,
): { groups: Record<string, unknown> } {
  const users = Array.from({ length: subscriberCount }, (_, k) => `sub${k}`);
  const groups: Record<string, unknown> = {
    pub: { users: ['publisher'], grants: [{ actions: ['write'], topics: ['bench/#'] }] },
  };
  const distinct = scenario === 'plain' ? 1 : scenario === 'entitled' ? 1 : 10;
  for (let g = 0; g < distinct; g++) {
    const grant: Record<string, unknown> = { actions: ['read'], topics: ['bench/#'] };
    if (scenario !== 'plain') {
      grant.filter = `px > ${g} and region = "EU"`;
      // Distinct lists (the last step differs), so `mixed` has ten projections to compute and encode.
      grant.select = `-/trader,-/ref,-/note${g}`;
    }
    groups[`readers${g}`] = { users: users.filter((_, k) => k % distinct === g), grants: [grant] };
  }
  return { groups };
}

export interface FanoutOptions {
  subscriberCount: number;
  encoding: Encoding;
  seconds: number;
  window: number;
  /** Names the run in the warning printed when deliveries are missing after the drain. */
  label: string;
}

export interface FanoutResult {
  published: number;
  deliveries: number;
  deliveriesPerSec: number;
}

/**
 * Subscribers `sub0..` log on and subscribe to `bench/#`, `publisher` floods {@link TRADE} to
 * {@link ENTITLED_TOPIC} for `seconds`, then waits (up to 30 s) for every delivery. Closes its sockets.
 */
export async function runEntitledFanout(url: string, options: FanoutOptions): Promise<FanoutResult> {
  const { subscriberCount, encoding } = options;
  let received = 0;
  const sockets = [];
  try {
    for (let k = 0; k < subscriberCount; k++) {
      const ws = await openNative(url, encoding);
      sockets.push(ws);
      await setupCall(ws, encoding, { op: 'logon', rid: 1, user: `sub${k}` });
      await setupCall(ws, encoding, { op: 'subscribe', rid: 2, sid: 1, topic: 'bench/#' });
      ws.on('message', () => received++);
    }
    const publisher = await openNative(url, encoding);
    sockets.push(publisher);
    await setupCall(publisher, encoding, { op: 'logon', rid: 1, user: 'publisher' });
    const frame = encodeFrame(encoding, { op: 'publish', topic: ENTITLED_TOPIC, data: TRADE });
    const started = now();
    const published = await floodPublish(publisher, encoding, frame, {
      seconds: options.seconds,
      window: options.window,
    });
    const expected = published * subscriberCount;
    if (!(await waitUntil(() => received >= expected, 30_000)))
      process.stderr.write(`warning: ${options.label}: ${expected - received} deliveries missing\n`);
    const elapsed = (now() - started) / 1000;
    return { published, deliveries: received, deliveriesPerSec: received / elapsed };
  } finally {
    for (const ws of sockets) ws.terminate();
  }
}

/** The name of bench vhost `v` (`t0.bench`, `t1.bench`, ...). */
export function benchVhost(v: number): string {
  return `t${v}.bench`;
}

/**
 * `vhosts` policies for `count` tenants: subscriber k (user `sub${k}`) reads `bench/#` in vhost
 * k % count, and each vhost's `publisher` writes there. No filters: the run measures what vhosts
 * themselves cost (the choice at logon, the hidden namespace on every publish and delivery).
 */
export function benchVhostPolicies(count: number, subscriberCount: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, v) => ({
    hostname: benchVhost(v),
    groups: {
      pub: { users: ['publisher'], remoteHosts: '*', targets: 'bench/#' },
      readers: {
        users: Array.from({ length: subscriberCount }, (_, k) => `sub${k}`).filter((_, k) => k % count === v),
        remoteHosts: '*',
        sources: 'bench/#',
      },
    },
  }));
}

/**
 * The multi-tenant fan-out: `tenants` tenants on one broker, subscriber k in tenant k % tenants,
 * and one publisher per tenant, all flooding at once, each reaching only its own tenant's
 * subscribers. `by: 'vhost'`: each tenant is a vhost, all publishing to the same topic name;
 * `by: 'topic'`: no vhosts, each tenant has a topic of its own (the same shape without vhosts, to
 * compare with). Deliveries over every tenant, per second.
 */
export async function runTenantsFanout(
  url: string,
  options: FanoutOptions & { tenants: number; by: 'vhost' | 'topic' },
): Promise<FanoutResult> {
  const { subscriberCount, encoding, tenants: vhosts, by } = options;
  const hostOf = (v: number): string | undefined => (by === 'vhost' ? benchVhost(v) : undefined);
  const topicOf = (v: number): string => (by === 'vhost' ? ENTITLED_TOPIC : `${ENTITLED_TOPIC}/t${v}`);
  let received = 0;
  const sockets = [];
  const perVhost = Array.from({ length: vhosts }, () => 0);
  try {
    for (let k = 0; k < subscriberCount; k++) {
      const ws = await openNative(url, encoding, hostOf(k % vhosts));
      sockets.push(ws);
      await setupCall(ws, encoding, { op: 'logon', rid: 1, user: `sub${k}` });
      await setupCall(ws, encoding, { op: 'subscribe', rid: 2, sid: 1, topic: topicOf(k % vhosts) });
      ws.on('message', () => received++);
      perVhost[k % vhosts]!++;
    }
    const publishers = [];
    for (let v = 0; v < vhosts; v++) {
      const publisher = await openNative(url, encoding, hostOf(v));
      sockets.push(publisher);
      publishers.push(publisher);
      await setupCall(publisher, encoding, { op: 'logon', rid: 1, user: 'publisher' });
    }
    const frames = publishers.map((_, v) => encodeFrame(encoding, { op: 'publish', topic: topicOf(v), data: TRADE }));
    const started = now();
    // Each publisher's window is its share of the one window, so the broker holds as much as in the other runs.
    const window = Math.max(2, Math.floor(options.window / vhosts));
    const published = await Promise.all(
      publishers.map((p, v) => floodPublish(p, encoding, frames[v]!, { seconds: options.seconds, window })),
    );
    const expected = published.reduce((sum, n, v) => sum + n * perVhost[v]!, 0);
    if (!(await waitUntil(() => received >= expected, 30_000)))
      process.stderr.write(`warning: ${options.label}: ${expected - received} deliveries missing\n`);
    if (received > expected)
      process.stderr.write(`warning: ${options.label}: ${received - expected} deliveries too many\n`);
    const elapsed = (now() - started) / 1000;
    return {
      published: published.reduce((a, b) => a + b, 0),
      deliveries: received,
      deliveriesPerSec: received / elapsed,
    };
  } finally {
    for (const ws of sockets) ws.terminate();
  }
}
