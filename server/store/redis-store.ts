// The cluster's store: retained messages and persistent MQTT sessions in one Redis that every
// broker node shares (key layout: redis-layout.ts). Retained messages are the cluster's; each
// session is owned by one node, whose load() returns it; a node that takes a client over reads
// the session (loadSession) and claims it (claimSession).
//
// Writes are fire-and-forget and applied in call order: everything written in one event-loop turn
// goes to Redis as one MULTI/EXEC at the end of the turn (as LmdbStore commits a turn in one
// transaction), so a retained message and its index entry, or a session and the subscriptions
// removed with it, are applied together: Redis runs a transaction as one step, and drops one whose
// EXEC never came (the connection broke). It does not roll back a command that fails inside one
// (a key of the wrong type): the transaction counts as failed. One connection keeps the
// transactions in order; this store sends only transactions (ioredis writes them at once), so
// auto-pipelining, if the connection has it, cannot reorder them.
//
// `persistence.sync`: with `always` and `batched`, an acknowledgement waits until Redis has
// answered the transaction (whenDurable); whether that is on disk is Redis's own `appendfsync`
// (`always`: each write; `everysec`: within a second). `none` waits for nothing.
import { Packr } from 'msgpackr';
import type { ChainableCommander, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { BrokerStats } from '../stats.js';
import { decodeQueued, encodeQueued } from './message-codec.js';
import { parseStoredRecord } from './record-schema.js';
import { ADOPT, CLAIM, RELEASE, RedisLayout } from './redis-layout.js';
import type {
  QueuedRecord,
  RecordTable,
  RetainedRecord,
  SessionRecord,
  SubscriptionRecord,
  TableRecords,
  WillRecord,
} from './records.js';
import { StoreError } from './store-error.js';
import { deferred, type Deferred } from './deferred-promise.js';
import type { BrokerStore, RetainedChunk, RetainedCursor, StoredState, SyncMode } from './store.js';

export interface RedisStoreOptions {
  /** Begins every key (`warden:`). */
  readonly prefix: string;
  /** This broker node: the sessions it writes are listed under it. */
  readonly nodeId: string;
  readonly sync: SyncMode;
}

/** One session's records, as loadSession reads them. */
export interface SessionRecords {
  readonly session: SessionRecord;
  readonly subscriptions: SubscriptionRecord[];
  /** In order of `seq`. */
  readonly messages: QueuedRecord[];
  readonly will: WillRecord | null;
}

/** Retained messages per read while load() pages through them: one reply of bounded size. */
const LOAD_RETAINED_CHUNK = 1000;
/** Sessions per transaction while load() reads them (four reads each). */
const LOAD_SESSION_CHUNK = 100;

/** msgpack maps, not msgpackr's record extension; Buffers copied out of the reply. */
const packr = new Packr({ useRecords: false, copyBuffers: true });

type ExecResult = [error: Error | null, result: unknown][] | null;

export class RedisStore implements BrokerStore {
  readonly kind = 'redis';
  readonly durable = true;
  readonly location: string;
  private readonly keys: RedisLayout;
  private readonly sync: SyncMode;
  private writeCount = 0;
  /** This turn's transaction and its turn, sent at its end (flush); null when nothing was written. */
  private tx: ChainableCommander | null = null;
  private open: Turn | null = null;
  /** Transactions sent, oldest first, until they and every earlier one have an answer. */
  private readonly sent: Turn[] = [];
  /** Set while writes fail, so the failure is logged once per episode. */
  private writeFailing = false;
  private closed = false;
  private closing: Promise<void> | null = null;
  /** Rejected: a write came after close(). */
  private refused: Promise<void> | null = null;

  /** `redis` is the cluster's connection: this store neither opens nor quits it. */
  constructor(
    private readonly redis: Redis,
    options: RedisStoreOptions,
    private readonly stats: BrokerStats,
    private readonly log: Logger,
  ) {
    this.location = `redis:${options.prefix}`;
    if (options.nodeId === '') throw new StoreError(`${this.location}: the node id is empty`);
    // The prefix is this store's; ioredis's would not reach the keys the Lua scripts build.
    if (redis.options.keyPrefix)
      throw new StoreError(`${this.location}: the Redis connection has a keyPrefix; give the store a prefix instead`);
    this.keys = new RedisLayout(options.prefix, options.nodeId);
    this.sync = options.sync;
  }

  get failing(): boolean {
    return this.writeFailing;
  }

  get writes(): number {
    return this.writeCount;
  }

  async load(options: { readonly retained?: boolean } = {}): Promise<StoredState> {
    this.flush();
    const retained: RetainedRecord[] = [];
    if (options.retained !== false) {
      let after: string | null = null;
      do {
        const chunk = await this.readRetained(after, LOAD_RETAINED_CHUNK);
        for (const record of chunk.records) retained.push(record);
        after = chunk.next;
      } while (after !== null);
    }
    const sessions: SessionRecord[] = [];
    const subscriptions: SubscriptionRecord[] = [];
    const messages: QueuedRecord[] = [];
    const wills: WillRecord[] = [];
    const clientIds = (await this.reply(this.redis.smembers(this.keys.ownSessions), 'reading')).sort(compareUtf8);
    for (let i = 0; i < clientIds.length; i += LOAD_SESSION_CHUNK) {
      for (const read of await this.readSessions(clientIds.slice(i, i + LOAD_SESSION_CHUNK))) {
        if (read.session !== null) sessions.push(read.session);
        // Those of a client with no session record too: the broker removes them (restore-state.ts).
        for (const record of read.subscriptions) subscriptions.push(record);
        for (const record of read.messages) messages.push(record);
        if (read.will !== null) wills.push(read.will);
      }
    }
    return { retained, sessions, subscriptions, messages, wills };
  }

  async readRetained(after: RetainedCursor | null, limit: number): Promise<RetainedChunk> {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`readRetained: limit ${limit} is not a count`);
    this.flush();
    // One more than asked: whether this chunk is the last.
    const topics = await this.reply(
      this.redis.zrangebylex(this.keys.retainedIndex, after === null ? '-' : `(${after}`, '+', 'LIMIT', 0, limit + 1),
      'reading',
    );
    const more = topics.length > limit;
    if (more) topics.length = limit;
    const values =
      topics.length === 0 ? [] : await this.reply(this.redis.hmgetBuffer(this.keys.retained, topics), 'reading');
    const records: RetainedRecord[] = [];
    for (let i = 0; i < topics.length; i++) {
      const bytes = values[i];
      // Removed (by another node) between the two reads: as if read a moment later.
      if (bytes === null || bytes === undefined) continue;
      const record = this.decode('retained', `${this.keys.retained} ${topics[i]!}`, bytes);
      if (record.topic !== topics[i]) throw this.damaged(`${this.keys.retained} ${topics[i]!}`, 'another topic');
      records.push(record);
    }
    return { records, next: more ? topics[limit - 1]! : null };
  }

  /** `clientId`'s session and the rest of its records, whichever node owns it; null when it has no session record. */
  async loadSession(clientId: string): Promise<SessionRecords | null> {
    this.flush();
    const [read] = await this.readSessions([clientId]);
    if (read === undefined || read.session === null) return null;
    return { session: read.session, subscriptions: read.subscriptions, messages: read.messages, will: read.will };
  }

  /** Make `clientId`'s session this node's; returns the node that owned it (this one's id when it already did), or null. */
  async claimSession(clientId: string): Promise<string | null> {
    this.flush();
    const k = this.keys;
    // A transaction of one, as the writes are: it keeps its place after them (see the top).
    const results = await this.reply(
      this.redis.multi().eval(CLAIM, 2, k.owners, k.ownSessions, clientId, k.nodeId, k.prefix).exec(),
      'claiming a session in',
    );
    const [previous] = this.answers(results, 'claiming a session in');
    if (previous === null || previous === undefined) return null;
    return Buffer.isBuffer(previous) ? previous.toString() : String(previous);
  }

  /** The client ids whose sessions `nodeId` owns, in key order. */
  async ownedBy(nodeId: string): Promise<string[]> {
    this.flush();
    return (await this.reply(this.redis.smembers(this.keys.nodeSessions(nodeId)), 'reading')).sort(compareUtf8);
  }

  putRetained(record: RetainedRecord): void {
    this.begin()
      ?.hset(this.keys.retained, record.topic, packr.pack(record))
      .zadd(this.keys.retainedIndex, 0, record.topic);
  }

  removeRetained(topic: string): void {
    this.begin()?.hdel(this.keys.retained, topic).zrem(this.keys.retainedIndex, topic);
  }

  putSession(record: SessionRecord): void {
    const id = record.clientId;
    this.begin()
      ?.set(this.keys.session(id), packr.pack(record))
      .eval(ADOPT, 2, this.keys.owners, this.keys.ownSessions, id, this.keys.nodeId);
  }

  removeSession(clientId: string): void {
    this.begin()
      ?.del(this.keys.session(clientId))
      .eval(...this.release(clientId));
  }

  putSubscription(record: SubscriptionRecord): void {
    this.begin()?.hset(this.keys.subscriptions(record.clientId), record.filter, packr.pack(record));
  }

  removeSubscription(clientId: string, filter: string): void {
    this.begin()?.hdel(this.keys.subscriptions(clientId), filter);
  }

  putMessage(record: QueuedRecord): void {
    this.begin()?.hset(this.keys.messages(record.clientId), String(record.seq), encodeQueued(record));
  }

  removeMessage(clientId: string, seq: number): void {
    this.begin()?.hdel(this.keys.messages(clientId), String(seq));
  }

  putWill(record: WillRecord): void {
    const id = record.clientId;
    this.begin()
      ?.set(this.keys.will(id), packr.pack(record))
      .eval(ADOPT, 2, this.keys.owners, this.keys.ownSessions, id, this.keys.nodeId);
  }

  removeWill(clientId: string): void {
    this.begin()
      ?.del(this.keys.will(clientId))
      .eval(...this.release(clientId));
  }

  whenDurable(): Promise<void> | null {
    if (this.refused !== null) return this.refused;
    if (this.sync === 'none') return null;
    // The last transaction's answer comes after every earlier one's (settle()).
    const turn = this.open ?? this.sent.at(-1);
    if (turn === undefined) return null;
    return (turn.waiter ??= deferred()).promise;
  }

  /**
   * Refuse writes from now on, and resolve once Redis has answered (or failed) every write made
   * before. The connection stays open: the cluster quits it.
   */
  close(): Promise<void> {
    return (this.closing ??= this.closeNow());
  }

  private async closeNow(): Promise<void> {
    this.flush();
    this.closed = true;
    const last = this.sent.at(-1);
    if (last !== undefined) await (last.waiter ??= deferred()).promise.catch(() => undefined);
  }

  private release(clientId: string): [string, number, string, string, string, string, string, string] {
    const k = this.keys;
    return [RELEASE, 4, k.owners, k.ownSessions, k.session(clientId), k.will(clientId), clientId, k.nodeId];
  }

  /** This turn's transaction, begun with the turn's first write; null after close() (the write is refused). */
  private begin(): ChainableCommander | null {
    this.writeCount++;
    if (this.closed) {
      this.refuse();
      return null;
    }
    if (this.tx === null) {
      this.tx = this.redis.multi();
      this.open = new Turn();
      setImmediate(this.flushContained);
    }
    return this.tx;
  }

  private readonly flushContained = (): void => this.flush();

  /** Send this turn's transaction (at the end of the turn, or before a read: reads see the writes made before them). */
  private flush(): void {
    const tx = this.tx;
    const turn = this.open;
    if (tx === null || turn === null) return;
    this.tx = null;
    this.open = null;
    this.sent.push(turn);
    try {
      tx.exec().then(
        (results) => this.settle(turn, failureOf(results)),
        (err: unknown) => this.settle(turn, err),
      );
    } catch (err) {
      this.settle(turn, err);
    }
  }

  /**
   * `turn` has its answer (`err` null: written). A failure is counted and logged, and fails the
   * waiters of this turn and of every later one sent or open: they wait for every write so far.
   * Waiters learn their answer in call order, once every earlier transaction has one.
   */
  private settle(turn: Turn, err: unknown): void {
    turn.settled = true;
    if (err === null) this.onWritten();
    else {
      const failure = this.onWriteFailed(err);
      turn.error ??= failure;
      const at = this.sent.indexOf(turn);
      for (let i = at + 1; at >= 0 && i < this.sent.length; i++) this.sent[i]!.error ??= failure;
      if (this.open !== null) this.open.error ??= failure;
    }
    while (this.sent.length > 0 && this.sent[0]!.settled) {
      const done = this.sent.shift()!;
      if (done.waiter === null) continue;
      if (done.error === null) done.waiter.resolve();
      else done.waiter.reject(done.error);
    }
  }

  private onWritten(): void {
    if (!this.writeFailing) return;
    this.writeFailing = false;
    this.log.warn({ store: this.location }, 'writes to Redis succeed again');
  }

  private onWriteFailed(err: unknown): StoreError {
    this.stats.storeWriteErrors++;
    const message = err instanceof Error ? err.message : String(err);
    if (!this.writeFailing) {
      this.writeFailing = true;
      this.log.error(
        { err, store: this.location },
        'a write to Redis failed (is Redis down?): acknowledgements that need it are withheld',
      );
    }
    return new StoreError(`${this.location}: a write to Redis failed: ${message}`, { cause: err });
  }

  /** A write after close(): counted and not sent; whenDurable() rejects from now on. */
  private refuse(): void {
    this.stats.storeWriteErrors++;
    if (this.refused !== null) return;
    this.log.error({ store: this.location }, 'a write after the store was closed: not written');
    this.refused = Promise.reject(new StoreError(`${this.location}: the store is closed`));
    this.refused.catch(() => undefined);
  }

  /** The records of each of `clientIds`, read in one transaction: each session as of one moment. */
  private async readSessions(clientIds: readonly string[]): Promise<ReadSession[]> {
    if (clientIds.length === 0) return [];
    const tx = this.redis.multi();
    for (const id of clientIds)
      tx.getBuffer(this.keys.session(id))
        .hvalsBuffer(this.keys.subscriptions(id))
        .hvalsBuffer(this.keys.messages(id))
        .getBuffer(this.keys.will(id));
    const answers = this.answers(await this.reply(tx.exec(), 'reading'), 'reading');
    return clientIds.map((id, i) => {
      const [session, subscriptions, messages, will] = answers.slice(i * 4, i * 4 + 4);
      return {
        session: this.one('sessions', this.keys.session(id), id, session),
        subscriptions: this.many('subscriptions', this.keys.subscriptions(id), id, subscriptions).sort((a, b) =>
          compareUtf8(a.filter, b.filter),
        ),
        messages: this.many('messages', this.keys.messages(id), id, messages).sort((a, b) => a.seq - b.seq),
        will: this.one('wills', this.keys.will(id), id, will),
      };
    });
  }

  /** The record of `clientId` that a string key holds, or null. */
  private one<T extends Exclude<RecordTable, 'retained'>>(
    table: T,
    key: string,
    clientId: string,
    value: unknown,
  ): TableRecords[T] | null {
    if (value === null || value === undefined) return null;
    if (!Buffer.isBuffer(value)) throw this.damaged(key, 'not bytes');
    return this.ofClient(this.decode(table, key, value), key, clientId);
  }

  /** The records of `clientId` that a hash holds (its values). */
  private many<T extends Exclude<RecordTable, 'retained'>>(
    table: T,
    key: string,
    clientId: string,
    values: unknown,
  ): TableRecords[T][] {
    if (!Array.isArray(values)) throw this.damaged(key, 'not a hash');
    return values.map((value: unknown) => {
      if (!Buffer.isBuffer(value)) throw this.damaged(key, 'not bytes');
      return this.ofClient(this.decode(table, key, value), key, clientId);
    });
  }

  private ofClient<R extends { readonly clientId: string }>(record: R, key: string, clientId: string): R {
    if (record.clientId !== clientId) throw this.damaged(key, `a record of client ${JSON.stringify(record.clientId)}`);
    return record;
  }

  /** A value read from Redis, checked as a record of `table` (Redis is shared: refuse what is not ours). */
  private decode<T extends RecordTable>(table: T, key: string, bytes: Buffer): TableRecords[T] {
    let value: unknown;
    try {
      value = table === 'messages' ? decodeQueued(bytes) : packr.unpack(bytes);
    } catch (err) {
      throw this.damaged(key, (err as Error).message, err);
    }
    const parsed = parseStoredRecord(table, value);
    if (!parsed.ok) throw this.damaged(key, parsed.problem);
    return parsed.record;
  }

  /** `pending`, with its failure (Redis down) as a StoreError that says what failed. */
  private reply<T>(pending: Promise<T>, doing: string): Promise<T> {
    return pending.catch((err: unknown) => {
      throw this.failed(doing, err);
    });
  }

  /** A transaction's answers, or a StoreError when any failed. */
  private answers(results: ExecResult, doing: string): unknown[] {
    const failed = failureOf(results);
    if (failed !== null) throw this.failed(doing, failed);
    return (results ?? []).map(([, value]) => value);
  }

  private failed(doing: string, err: unknown): StoreError {
    const message = err instanceof Error ? err.message : String(err);
    return new StoreError(`${this.location}: ${doing} Redis failed: ${message}`, { cause: err });
  }

  private damaged(key: string, problem: string, cause?: unknown): StoreError {
    return new StoreError(
      `${this.location}: ${key} does not hold a Warden record (${problem}). Is another application using the prefix?`,
      { cause },
    );
  }
}

interface ReadSession {
  readonly session: SessionRecord | null;
  readonly subscriptions: SubscriptionRecord[];
  readonly messages: QueuedRecord[];
  readonly will: WillRecord | null;
}

/** One turn's transaction, from its first write until it and every earlier one have an answer. */
class Turn {
  settled = false;
  /** Its own failure, or an earlier transaction's that its waiter also waits for. */
  error: StoreError | null = null;
  /** Made when whenDurable() or close() first waits for this turn. */
  waiter: Deferred | null = null;
}

/** The first error among a transaction's answers (Redis does not roll back the others). */
function failureOf(results: ExecResult): Error | null {
  if (results === null) return new Error('the transaction was discarded');
  for (const [error] of results) if (error !== null) return error;
  return null;
}

/** Code point order, which is UTF-8 byte order: Redis's order of keys and of ZRANGEBYLEX. */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    // A surrogate (a code point above U+FFFF) sorts after U+E000-U+FFFF, unlike in UTF-16.
    if (x !== y) return (isSurrogate(x) ? x + 0x10000 : x) - (isSurrogate(y) ? y + 0x10000 : y);
  }
  return a.length - b.length;
}

function isSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdfff;
}
