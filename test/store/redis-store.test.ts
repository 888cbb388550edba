// RedisStore against a real redis-server: every record kind through Redis and back byte for
// byte, call order, one node's sessions apart from another's, retained paging in byte order,
// session takeover between nodes, and what an acknowledgement waits for: Redis's answer, or its
// failure when Redis is gone.
import type { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BrokerStats } from '../../server/stats.js';
import { compareUtf8, RedisStore } from '../../server/store/redis-store.js';
import { StoreError } from '../../server/store/store-error.js';
import type {
  QueuedRecord,
  RetainedRecord,
  SessionRecord,
  SubscriptionRecord,
  WillRecord,
} from '../../server/store/records.js';
import type { SyncMode } from '../../server/store/store.js';
import { redisServerAvailable, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { queuedMessage } from '../helpers/store-records.js';

const PREFIX = 'warden:';
/** Not UTF-8: 0xC3 0x28 is a cut sequence, 0xFF never occurs in it. */
const BINARY = Buffer.from([0x00, 0xff, 0xfe, 0xc3, 0x28, 0x80, 0x0a]);

const retained: RetainedRecord = {
  topic: 'r/a',
  payload: BINARY,
  qos: 1,
  properties: {
    expiresAt: 1_900_000_000_000,
    userProperties: { k: 'v', many: ['1', '2', ''] },
    payloadFormatIndicator: false,
    contentType: 'application/octet-stream',
    responseTopic: 'reply/here',
    correlationData: Buffer.from([0xff, 0x00, 0xc0]),
  },
};
const session: SessionRecord = {
  clientId: 'keeper',
  user: 'alice',
  listener: 'mqtt',
  expirySec: 3600,
  expiresAt: 1_800_000_000_000,
  incomingQos2: [3, 9],
};
const subscription: SubscriptionRecord = {
  clientId: 'keeper',
  filter: '$share/g/q/#',
  qos: 2,
  noLocal: true,
  retainAsPublished: true,
  subscriptionId: 7,
};
const message: QueuedRecord = {
  clientId: 'keeper',
  seq: 12,
  topic: 'q/x',
  payload: BINARY,
  qos: 2,
  retain: true,
  subscriptionIds: [7, 268_435_455],
  properties: {
    expiresAt: null,
    userProperties: { a: ['x', 'y'] },
    correlationData: Buffer.from([0xfe, 0xed]),
  },
  packetId: 5,
  released: true,
};
const will: WillRecord = {
  clientId: 'keeper',
  user: 'alice',
  listener: 'mqtt',
  publishAt: 1_800_000_000_000,
  topic: 'will/keeper',
  payload: BINARY,
  qos: 2,
  retain: true,
  messageExpirySec: 60,
  properties: { userProperties: { why: 'gone' }, contentType: 'text/plain', correlationData: Buffer.from([0x01]) },
};

function sessionOf(clientId: string): SessionRecord {
  return { ...session, clientId };
}

function subscriptionOf(clientId: string, filter: string): SubscriptionRecord {
  return { ...subscription, clientId, filter };
}

function retainedOf(topic: string, payload = Buffer.from(topic)): RetainedRecord {
  return { topic, payload, qos: 0, properties: null };
}

/** A logger whose entries the test reads. */
function recordingLog(): { log: pino.Logger; entries: { level: number; msg: string }[] } {
  const entries: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      entries.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), entries };
}

/** The next `name` event (events.once would reject on the 'error' events of reconnection attempts). */
function next(emitter: EventEmitter, name: string): Promise<void> {
  return new Promise((resolve) => emitter.once(name, () => resolve()));
}

const ERROR = 50;
const WARN = 40;

describe.skipIf(!redisServerAvailable())('RedisStore (a real redis-server)', () => {
  let server: RedisServer;
  const connections: Redis[] = [];

  async function connect(): Promise<Redis> {
    const redis = new Redis(server.url, { enableOfflineQueue: false, lazyConnect: true });
    // ioredis reports connection errors as events; a test that fails on one says so itself.
    redis.on('error', () => undefined);
    connections.push(redis);
    await redis.connect();
    return redis;
  }

  /** A store on a connection of its own, as each broker node has. */
  async function openStore(
    nodeId: string,
    { sync = 'always' as SyncMode }: { sync?: SyncMode } = {},
  ): Promise<{ store: RedisStore; stats: BrokerStats; entries: { level: number; msg: string }[] }> {
    const stats = new BrokerStats();
    const { log, entries } = recordingLog();
    const store = new RedisStore(await connect(), { prefix: PREFIX, nodeId, sync }, stats, log);
    return { store, stats, entries };
  }

  /** Resolves when the store has sent this turn's writes and Redis answered them. */
  async function durable(store: RedisStore): Promise<void> {
    const waiting = store.whenDurable();
    expect(waiting).not.toBeNull();
    await waiting;
  }

  let admin: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterAll(async () => {
    await server?.dispose();
  });

  beforeEach(async () => {
    admin = await connect();
    await admin.flushall();
  });

  afterEach(async () => {
    await Promise.all(connections.splice(0).map((redis) => redis.quit().catch(() => redis.disconnect())));
  });

  it('keeps every kind of record byte for byte, through a new store on a new connection', async () => {
    const { store: writer } = await openStore('n1');
    writer.putRetained(retained);
    writer.putSession(session);
    writer.putSubscription(subscription);
    writer.putMessage(message);
    writer.putWill(will);
    expect(writer.writes).toBe(5);
    await durable(writer);
    await writer.close();

    const { store: reader } = await openStore('n1');
    const state = await reader.load();
    expect(state).toStrictEqual({
      retained: [retained],
      sessions: [session],
      subscriptions: [subscription],
      messages: [message],
      wills: [will],
    });
    expect(Buffer.isBuffer(state.retained[0]!.payload)).toBe(true);
    expect(state.retained[0]!.payload.equals(BINARY)).toBe(true);
    expect(Buffer.isBuffer(state.retained[0]!.properties!.correlationData)).toBe(true);
    expect(state.messages[0]!.payload.equals(BINARY)).toBe(true);
    expect(state.wills[0]!.properties!.correlationData!.equals(Buffer.from([0x01]))).toBe(true);
    expect(await reader.load({ retained: false })).toMatchObject({ retained: [], sessions: [session] });

    // The layout, as documented in redis-layout.ts.
    expect((await admin.keys(`${PREFIX}*`)).sort()).toEqual(
      [
        'msgs:keeper',
        'node:n1:sessions',
        'retained',
        'retained:index',
        'session-owner',
        'session:keeper',
        'subs:keeper',
        'will:keeper',
      ].map((k) => PREFIX + k),
    );
  });

  it('removes what is removed, and a later write of the same key wins, in call order', async () => {
    const { store } = await openStore('n1');
    store.putRetained(retainedOf('r/1', Buffer.from('first')));
    store.putRetained(retainedOf('r/1', Buffer.from('second')));
    store.putRetained(retainedOf('r/2'));
    store.removeRetained('r/2');
    store.putSession(sessionOf('a'));
    store.putSubscription(subscriptionOf('a', 'f/1'));
    store.putSubscription({ ...subscriptionOf('a', 'f/1'), qos: 0 });
    store.putSubscription(subscriptionOf('a', 'f/2'));
    store.removeSubscription('a', 'f/2');
    store.putMessage(queuedMessage('a', 1));
    store.putMessage({ ...queuedMessage('a', 1), packetId: 9 });
    store.putMessage(queuedMessage('a', 2));
    store.removeMessage('a', 2);
    store.putWill({ ...will, clientId: 'a' });
    store.removeWill('a');
    await durable(store);
    // A later turn: removed, then written again.
    store.removeRetained('r/1');
    store.putRetained(retainedOf('r/1', Buffer.from('third')));
    store.putSession(sessionOf('b'));
    await durable(store);
    store.removeSession('b');
    await durable(store);

    const state = await store.load();
    expect(state.retained).toEqual([retainedOf('r/1', Buffer.from('third'))]);
    expect(state.sessions).toEqual([sessionOf('a')]);
    expect(state.subscriptions).toEqual([{ ...subscriptionOf('a', 'f/1'), qos: 0 }]);
    expect(state.messages).toEqual([{ ...queuedMessage('a', 1), packetId: 9 }]);
    expect(state.wills).toEqual([]);
    // Nothing left behind: no value, no index entry, no owner for b.
    expect(await admin.zrange(`${PREFIX}retained:index`, 0, -1)).toEqual(['r/1']);
    expect(await admin.hkeys(`${PREFIX}retained`)).toEqual(['r/1']);
    expect(await admin.exists(`${PREFIX}session:b`, `${PREFIX}will:a`)).toBe(0);
    expect(await admin.hgetall(`${PREFIX}session-owner`)).toEqual({ a: 'n1' });
    expect(await store.ownedBy('n1')).toEqual(['a']);
  });

  it("loads messages by client id, then seq, and only this node's sessions", async () => {
    const { store: n1 } = await openStore('n1');
    const { store: n2 } = await openStore('n2');
    n1.putSession(sessionOf('b'));
    n1.putSession(sessionOf('a'));
    n2.putSession(sessionOf('c'));
    // seq 10 before 9 and 2 as text; 2^40 is past 32 bits.
    for (const seq of [10, 2 ** 40, 2, 9]) n1.putMessage(queuedMessage('b', seq));
    for (const seq of [3, 1]) n1.putMessage(queuedMessage('a', seq));
    n2.putMessage(queuedMessage('c', 1));
    n1.putSubscription(subscriptionOf('b', 'z/#'));
    n1.putSubscription(subscriptionOf('b', 'a/#'));
    n2.putSubscription(subscriptionOf('c', 'c/#'));
    n2.putRetained(retainedOf('shared'));
    await Promise.all([durable(n1), durable(n2)]);

    const one = await n1.load();
    expect(one.sessions.map((s) => s.clientId)).toEqual(['a', 'b']);
    expect(one.messages.map((m) => [m.clientId, m.seq])).toEqual([
      ['a', 1],
      ['a', 3],
      ['b', 2],
      ['b', 9],
      ['b', 10],
      ['b', 2 ** 40],
    ]);
    expect(one.subscriptions.map((s) => [s.clientId, s.filter])).toEqual([
      ['b', 'a/#'],
      ['b', 'z/#'],
    ]);
    expect(one.retained).toEqual([retainedOf('shared')]);

    const two = await n2.load();
    expect(two.sessions).toEqual([sessionOf('c')]);
    expect(two.messages).toEqual([queuedMessage('c', 1)]);
    expect(two.subscriptions).toEqual([subscriptionOf('c', 'c/#')]);
    expect(two.retained).toEqual([retainedOf('shared')]);
    expect(await n1.ownedBy('n1')).toEqual(['a', 'b']);
    expect(await n1.ownedBy('n2')).toEqual(['c']);
  });

  it.each([
    ['a chunk short at the end', 25, 7],
    ['chunks that divide them', 21, 7],
    ['one chunk for all', 5, 10],
  ])('reads retained messages in byte order with a cursor: %s', async (_name, count, limit) => {
    const { store } = await openStore('n1');
    const topics = Array.from({ length: count }, (_, i) => `t/${String(i).padStart(2, '0')}`);
    // U+FFFD before an emoji in bytes (EF < F0), the other way round in UTF-16.
    if (count > 20) topics.splice(0, 2, 't/\u{1F600}', 't/\uFFFD');
    for (const topic of [...topics].reverse()) store.putRetained(retainedOf(topic));
    await durable(store);

    const expected = [...topics].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const read: string[] = [];
    const sizes: number[] = [];
    let after: string | null = null;
    for (;;) {
      const chunk = await store.readRetained(after, limit);
      sizes.push(chunk.records.length);
      read.push(...chunk.records.map((r) => r.topic));
      if (chunk.next === null) break;
      expect(chunk.next).toBe(chunk.records.at(-1)!.topic);
      after = chunk.next;
    }
    expect(read).toEqual(expected);
    const full = Math.floor(count / limit);
    const rest = count % limit;
    expect(sizes).toEqual([...Array<number>(full).fill(limit), ...(rest > 0 ? [rest] : [])]);
    expect(compareUtf8('t/\uFFFD', 't/\u{1F600}')).toBeLessThan(0);
    expect((await store.load()).retained.map((r) => r.topic)).toEqual(expected);
  });

  it('hands a session to the node that claims it', async () => {
    const { store: n1 } = await openStore('n1');
    const { store: n2 } = await openStore('n2');
    n1.putSession(session);
    n1.putSubscription(subscription);
    n1.putMessage(message);
    n1.putMessage({ ...queuedMessage('keeper', 3) });
    n1.putWill(will);
    n1.putSession(sessionOf('stays'));
    await durable(n1);

    // Read wherever it is owned.
    expect(await n2.loadSession('keeper')).toStrictEqual({
      session,
      subscriptions: [subscription],
      messages: [queuedMessage('keeper', 3), message],
      will,
    });
    expect(await n2.loadSession('nobody')).toBeNull();

    expect(await n2.claimSession('keeper')).toBe('n1');
    expect(await n2.ownedBy('n1')).toEqual(['stays']);
    expect(await n2.ownedBy('n2')).toEqual(['keeper']);
    expect((await n1.load()).sessions).toEqual([sessionOf('stays')]);
    expect(await n2.load()).toMatchObject({ sessions: [session], wills: [will] });
    expect((await n2.load()).messages.map((m) => m.seq)).toEqual([3, 12]);
    expect(await n2.claimSession('keeper')).toBe('n2');

    // The old node writing it again does not take it back: only a claim moves a session.
    n1.putSession(session);
    await durable(n1);
    expect(await n1.ownedBy('n2')).toEqual(['keeper']);
    // Nor does its removal release the new owner's claim.
    n1.removeSession('keeper');
    await durable(n1);
    expect(await n1.ownedBy('n2')).toEqual(['keeper']);

    // An id no node owns: null, and it is this node's from now on.
    expect(await n2.claimSession('new')).toBeNull();
    expect(await n2.ownedBy('n2')).toEqual(['keeper', 'new']);
    expect(await admin.hget(`${PREFIX}session-owner`, 'new')).toBe('n2');
  });

  it('keeps a client id owned while its session or its will is left', async () => {
    const { store } = await openStore('n1');
    store.putSession(sessionOf('x'));
    store.putWill({ ...will, clientId: 'x' });
    await durable(store);
    store.removeSession('x');
    await durable(store);
    expect(await store.ownedBy('n1')).toEqual(['x']);
    expect((await store.load()).wills).toEqual([{ ...will, clientId: 'x' }]);
    store.removeWill('x');
    await durable(store);
    expect(await store.ownedBy('n1')).toEqual([]);
    expect(await admin.exists(`${PREFIX}session-owner`)).toBe(0);
  });

  it('claims, reads and writes in call order: a claim after a removal in the same turn stands', async () => {
    const { store } = await openStore('n1');
    store.putSession(sessionOf('x'));
    store.removeSession('x');
    expect(await store.claimSession('x')).toBeNull();
    expect(await store.ownedBy('n1')).toEqual(['x']);
    store.putSession(sessionOf('y'));
    // Not yet sent: the read sends it first.
    expect(await store.loadSession('y')).toMatchObject({ session: sessionOf('y') });
  });

  it('waits for Redis to answer: null with nothing outstanding, one promise per turn', async () => {
    const { store } = await openStore('n1');
    expect(store.whenDurable()).toBeNull();
    // Redis holds every write until UNPAUSE (or 10 s, should the test fail).
    await admin.call('CLIENT', 'PAUSE', '10000', 'WRITE');
    store.putRetained(retained);
    const waiting = store.whenDurable();
    expect(waiting).not.toBeNull();
    expect(store.whenDurable()).toBe(waiting);
    let answered = false;
    void waiting!.then(() => (answered = true));
    // The transaction went at the end of the turn; a round trip of another connection later, Redis still holds it.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await admin.ping();
    expect(answered).toBe(false);
    expect(store.whenDurable()).toBe(waiting);
    await admin.call('CLIENT', 'UNPAUSE');
    await waiting;
    expect(await admin.hexists(`${PREFIX}retained`, retained.topic)).toBe(1);
    expect(store.whenDurable()).toBeNull();
  });

  it('fails the acknowledgements that waited for a failed write, and only those', async () => {
    const { store, stats } = await openStore('n1');
    // Not a hash: the HSET of a retained message fails (WRONGTYPE) when its transaction runs.
    await admin.set(`${PREFIX}retained`, 'in the way');
    const sent = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    store.putSession(sessionOf('before'));
    const before = store.whenDurable()!;
    await before;
    // Redis holds the writes until UNPAUSE: the failing transaction and the next are both sent before either has an answer.
    await admin.call('CLIENT', 'PAUSE', '10000', 'WRITE');
    store.putSession(sessionOf('earlier'));
    const earlier = store.whenDurable()!;
    await sent();
    store.putRetained(retained);
    await sent();
    store.putSession(sessionOf('queued'));
    const queued = store.whenDurable()!;
    await sent();
    await admin.call('CLIENT', 'UNPAUSE');
    await expect(earlier).resolves.toBeUndefined();
    await expect(queued).rejects.toThrow(/^redis:warden:: a write to Redis failed: WRONGTYPE/);
    // Written all the same: Redis does not roll a transaction back, nor fail the next one.
    expect(await admin.exists(`${PREFIX}session:queued`)).toBe(1);
    expect(stats.storeWriteErrors).toBe(1);

    // Again without a pause: the next turn's waiter is made while the failing one has no answer.
    store.putRetained(retained);
    await sent();
    store.putSession(sessionOf('during'));
    await expect(store.whenDurable()).rejects.toThrow(/WRONGTYPE/);
    expect(stats.storeWriteErrors).toBe(2);
    store.putSession(sessionOf('after'));
    await expect(store.whenDurable()).resolves.toBeUndefined();
  });

  it('makes nothing wait with sync none, and still writes', async () => {
    const { store } = await openStore('n1', { sync: 'none' });
    store.putRetained(retained);
    expect(store.writes).toBe(1);
    expect(store.whenDurable()).toBeNull();
    await store.close();
    expect(await admin.hexists(`${PREFIX}retained`, retained.topic)).toBe(1);
  });

  it('closes once every write so far has its answer, and refuses writes after', async () => {
    // Even with `none`, which makes no acknowledgement wait.
    const { store, stats, entries } = await openStore('n1', { sync: 'none' });
    await admin.call('CLIENT', 'PAUSE', '10000', 'WRITE');
    store.putRetained(retained);
    store.putSession(session);
    let closed = false;
    const closing = store.close().then(() => (closed = true));
    expect(store.close()).toBe(store.close());
    await admin.ping();
    expect(closed).toBe(false);
    await admin.call('CLIENT', 'UNPAUSE');
    await closing;
    expect(await admin.exists(`${PREFIX}session:keeper`)).toBe(1);

    store.putRetained(retainedOf('late'));
    store.putRetained(retainedOf('later'));
    expect(store.writes).toBe(4);
    expect(stats.storeWriteErrors).toBe(2);
    await expect(store.whenDurable()).rejects.toThrow(new StoreError(`redis:${PREFIX}: the store is closed`));
    expect(entries.filter((e) => e.level === ERROR).map((e) => e.msg)).toEqual([
      'a write after the store was closed: not written',
    ]);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(await admin.hexists(`${PREFIX}retained`, 'late')).toBe(0);
  });

  it('refuses a connection with a keyPrefix, and an empty node id', async () => {
    const prefixed = new Redis(server.url, { lazyConnect: true, keyPrefix: 'x:' });
    const stats = new BrokerStats();
    const log = pino({ level: 'silent' });
    expect(() => new RedisStore(prefixed, { prefix: PREFIX, nodeId: 'n1', sync: 'always' }, stats, log)).toThrow(
      new StoreError(`redis:${PREFIX}: the Redis connection has a keyPrefix; give the store a prefix instead`),
    );
    prefixed.disconnect();
    expect(() => new RedisStore(admin, { prefix: PREFIX, nodeId: '', sync: 'always' }, stats, log)).toThrow(
      new StoreError(`redis:${PREFIX}: the node id is empty`),
    );
  });

  it('refuses a value that is not a Warden record, naming its key', async () => {
    const { store } = await openStore('n1');
    await admin.hset(`${PREFIX}retained`, 'bad', Buffer.from([0xc1]));
    await admin.zadd(`${PREFIX}retained:index`, 0, 'bad');
    await expect(store.readRetained(null, 10)).rejects.toThrow(/^redis:warden:: warden:retained bad does not hold/);
    await admin.set(`${PREFIX}session:s`, Buffer.from(JSON.stringify({ clientId: 's' })));
    await admin.sadd(`${PREFIX}node:n1:sessions`, 's');
    await expect(store.loadSession('s')).rejects.toBeInstanceOf(StoreError);
  });
});

describe.skipIf(!redisServerAvailable())('RedisStore when Redis is gone', () => {
  let server: RedisServer | null = null;
  let redis: Redis | null = null;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    redis?.disconnect();
    await server?.dispose();
  });

  it('counts failed writes, rejects the waiting acknowledgements, logs once, and recovers', async () => {
    server = await startRedisServer();
    redis = new Redis(server.url, { enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => 20 });
    redis.on('error', () => undefined);
    await redis.connect();
    const stats = new BrokerStats();
    const { log, entries } = recordingLog();
    const store = new RedisStore(redis, { prefix: PREFIX, nodeId: 'n1', sync: 'always' }, stats, log);
    store.putRetained(retained);
    await store.whenDurable();

    const closed = next(redis, 'close');
    await server.stop('SIGKILL');
    await closed;
    store.putRetained(retainedOf('lost/1'));
    store.putSession(session);
    const first = store.whenDurable()!;
    await expect(first).rejects.toBeInstanceOf(StoreError);
    await expect(first).rejects.toThrow(/^redis:warden:: a write to Redis failed: /);
    expect(stats.storeWriteErrors).toBe(1);
    // A second failing turn: counted, not logged again.
    store.removeRetained('lost/1');
    await expect(store.whenDurable()).rejects.toBeInstanceOf(StoreError);
    expect(stats.storeWriteErrors).toBe(2);
    expect(store.whenDurable()).toBeNull();
    expect(entries.filter((e) => e.level === ERROR)).toHaveLength(1);
    // Reads fail the same way, as StoreErrors.
    await expect(store.load()).rejects.toThrow(/^redis:warden:: reading Redis failed: /);
    await expect(store.claimSession('keeper')).rejects.toThrow(/^redis:warden:: claiming a session in Redis failed: /);

    const ready = next(redis, 'ready');
    await server.restart();
    await ready;
    store.putRetained(retainedOf('back'));
    await store.whenDurable();
    expect(stats.storeWriteErrors).toBe(2);
    expect(entries.filter((e) => e.level === WARN).map((e) => e.msg)).toEqual(['writes to Redis succeed again']);
    // The restarted Redis is empty (no persistence in the test): what came after is there.
    expect((await store.load()).retained).toEqual([retainedOf('back')]);
    await store.close();
    // Unhandled rejections surface a turn later.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  });
});
