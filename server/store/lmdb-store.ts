// `persistence.store: lmdb`, the embedded default: one LMDB environment in `persistence.path`
// (data.mdb and lock.mdb), through lmdb-js, with msgpack values; one named database per kind of
// record (retained, sessions, subscriptions, messages, wills) and `meta` for the format stamp.
// Everything written in one event-loop turn is committed in one transaction, in call order:
// with `always` by lmdb-js's writer thread (its asynchronous writes), with `batched` and `none`
// synchronously at the end of the turn (write(), commitTurn()).
//
// `persistence.sync` decides what an acknowledgement waits for (whenDurable()): `always`, the
// flush LMDB does at each commit; `batched`, the commit (in the OS's page cache: a crash of the
// process loses nothing), flushed with everything else committed every syncIntervalMs; `none`,
// nothing. See docs/persistence.md.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { open, type Database, type DatabaseOptions, type RootDatabase } from 'lmdb';
import type { Logger } from 'pino';
import type { BrokerStats } from '../stats.js';
import type { BrokerStore, RetainedChunk, RetainedCursor, StoreCounts, StoredState, SyncMode } from './store.js';
import {
  RECORD_TABLES,
  type QueuedRecord,
  type RecordTable,
  type RetainedRecord,
  type SessionRecord,
  type SubscriptionRecord,
  type TableRecords,
  type WillRecord,
} from './records.js';
import { requireLmdbFile } from './lmdb-file-check.js';
import { queuedMessageEncoder } from './message-codec.js';
import { StoreError } from './store-error.js';
import { deferred, type Deferred } from './deferred-promise.js';
import { takeStoreLock, releaseStoreLock } from './store-lock.js';

/** The layout this version writes; a store with another is refused (StoreError). */
export const STORE_FORMAT = 1;
const PRODUCT = 'warden';

/** Key parts longer than this are replaced by a digest: LMDB keys are at most 1978 bytes here (two parts must fit), MQTT topics and client ids may be longer. */
const MAX_PLAIN_KEY_BYTES = 900;

/** An LMDB key as this store writes it: keyOf(id), or [keyOf(clientId), seq] for a queued message. */
export type StoreKey = string | (string | number)[];
type Key = StoreKey;

const TABLES: readonly string[] = ['meta', ...RECORD_TABLES];

/** One entry of a table as read for `warden store check` and `export`: its key, and its value decoded or why it could not be. */
export type StoredEntry =
  | { readonly key: StoreKey; readonly value: unknown; readonly error: null }
  | { readonly key: StoreKey; readonly value: undefined; readonly error: string };

export interface LmdbStoreOptions {
  readonly path: string;
  readonly sync: SyncMode;
  /** `batched` and `none`: how often what was committed is flushed to disk (default 100 ms). */
  readonly syncIntervalMs?: number;
}

const DEFAULT_SYNC_INTERVAL_MS = 100;

/**
 * Each table's encoder (lmdb-js does not pass the root's on): msgpack maps, not msgpackr's inline
 * record definitions, which cost 2.2 us a record against 0.8; Buffers copied out of LMDB's memory.
 */
/** The queued messages, the most frequent write: a fixed binary layout (message-codec.ts). */
const MESSAGE_TABLE_OPTIONS = { encoder: queuedMessageEncoder } as DatabaseOptions;

const TABLE_OPTIONS: DatabaseOptions = {
  encoding: 'msgpack',
  // lmdb-js passes these on to msgpackr; its typings do not list them.
  ...({ encoder: { copyBuffers: true, useRecords: false } } as DatabaseOptions),
};

export class LmdbStore implements BrokerStore {
  readonly kind = 'lmdb';
  readonly durable = true;
  readonly location: string;
  private readonly env: RootDatabase;
  private readonly meta: Database;
  private readonly retained: Database<RetainedRecord, Key>;
  private readonly sessions: Database<SessionRecord, Key>;
  private readonly subscriptions: Database<SubscriptionRecord, Key>;
  private readonly messages: Database<QueuedRecord, Key>;
  private readonly wills: Database<WillRecord, Key>;
  private writeCount = 0;
  /** The promise of the last write (lmdb-js resolves it when its transaction commits); null before any. */
  private lastWrite: Promise<boolean> | null = null;
  /** whenDurable() for the writes up to `durableFor` (shared by every caller in between). */
  private durablePromise: Promise<void> | null = null;
  /** The transaction (its promise) durablePromise waits for. */
  private durableFor: Promise<boolean> | null = null;
  /** Set while writes fail, so the error is logged once per episode. */
  private writeFailing = false;
  private closed = false;

  private constructor(
    options: LmdbStoreOptions,
    env: RootDatabase,
    private readonly stats: BrokerStats | null,
    private readonly log: Logger | null,
  ) {
    this.location = options.path;
    this.sync = options.sync;
    this.env = env;
    if (options.sync !== 'always') {
      // The group flush: every interval, what was committed since the last one goes to disk.
      this.flushTimer = setInterval(this.flushCommitted, options.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS);
      this.flushTimer.unref();
    }
    this.meta = env.openDB('meta', TABLE_OPTIONS);
    this.retained = env.openDB('retained', TABLE_OPTIONS);
    this.sessions = env.openDB('sessions', TABLE_OPTIONS);
    this.subscriptions = env.openDB('subscriptions', TABLE_OPTIONS);
    this.messages = env.openDB('messages', MESSAGE_TABLE_OPTIONS);
    this.wills = env.openDB('wills', TABLE_OPTIONS);
  }

  private readonly sync: SyncMode;
  /** `batched` and `none`: the writes of this turn, committed at its end (commitTurn). */
  private turn: TurnWrite[] = [];
  /** Resolved when this turn's writes are committed; made when an acknowledgement first waits for them. */
  private turnCommitted: Deferred | null = null;
  /** Writes committed so far (the group flush flushes up to here). */
  private committedWrites = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  /** writeCount at the last flush that was started. */
  private flushedWrites = 0;
  private flushing: Promise<void> | null = null;

  /**
   * Open (or create) the store in `options.path`. Refuses, with a StoreError that names the path
   * and what to do: a directory it cannot create or write, a store another process has open, a
   * damaged data file, or one of another product or format version.
   */
  static open(options: LmdbStoreOptions, stats: BrokerStats | null, log: Logger | null): LmdbStore {
    const dir = path.resolve(options.path);
    prepareDirectory(dir);
    takeStoreLock(dir);
    try {
      const dataFile = path.join(dir, 'data.mdb');
      const existed = fs.existsSync(dataFile) && fs.statSync(dataFile).size > 0;
      if (existed) requireLmdbFile(dataFile);
      let env: RootDatabase;
      try {
        // noSubdir: lmdb-js takes a path with an extension (`./data.v2`) for a file of its own otherwise.
        env = open({
          path: dir,
          noSubdir: false,
          maxDbs: 8,
          encoder: { copyBuffers: true },
          // `always`: LMDB flushes each commit itself, data pages before the meta page that points
          // to them. `batched` and `none`: commits do not wait for the disk; flushCommitted()
          // flushes them every syncIntervalMs (LMDB's MDB_NOSYNC, docs/persistence.md).
          ...(options.sync === 'always' ? {} : { noSync: true }),
        });
      } catch (err) {
        throw new StoreError(`${dataFile}: LMDB could not open the store: ${(err as Error).message}`, { cause: err });
      }
      const store = new LmdbStore({ ...options, path: dir }, env, stats, log);
      store.checkFormat(existed);
      return store;
    } catch (err) {
      releaseStoreLock(dir);
      throw err;
    }
  }

  get failing(): boolean {
    return this.writeFailing;
  }

  get writes(): number {
    return this.writeCount;
  }

  /** The format check: a new store gets this version's stamp; an old one must carry it. */
  private checkFormat(existed: boolean): void {
    const stamp = this.meta.get('format') as { product?: unknown; format?: unknown } | undefined;
    if (stamp === undefined) {
      const empty = this.counts();
      const hasOther = this.tableNames().some((name) => !TABLES.includes(name));
      if (existed && (hasOther || Object.values(empty).some((n) => n > 0))) {
        this.closeQuietly();
        throw new StoreError(
          `${this.location}: this LMDB environment is not a Warden store (it has no Warden format stamp). Point persistence.path at another directory.`,
        );
      }
      this.meta.putSync('format', { product: PRODUCT, format: STORE_FORMAT });
      return;
    }
    if (stamp.product !== PRODUCT) {
      this.closeQuietly();
      throw new StoreError(
        `${this.location}: this LMDB environment belongs to ${JSON.stringify(stamp.product)}, not Warden. Point persistence.path at another directory.`,
      );
    }
    if (stamp.format !== STORE_FORMAT) {
      this.closeQuietly();
      throw new StoreError(
        `${this.location}: the store has format ${String(stamp.format)}, this Warden reads format ${STORE_FORMAT}. Run the Warden version that wrote it, \`warden store export\` it there, and \`warden store import\` the export here.`,
      );
    }
  }

  /** Close the environment of a store that is refused at open: nothing was written to wait for. */
  private closeQuietly(): void {
    if (this.flushTimer !== null) clearInterval(this.flushTimer);
    this.env.close().catch(() => undefined);
  }

  counts(): StoreCounts {
    return {
      retained: this.retained.getCount(),
      sessions: this.sessions.getCount(),
      subscriptions: this.subscriptions.getCount(),
      messages: this.messages.getCount(),
      wills: this.wills.getCount(),
    };
  }

  async load(options: { readonly retained?: boolean } = {}): Promise<StoredState> {
    const values = <T>(db: Database<T, Key>): T[] => {
      const out: T[] = [];
      for (const { value } of db.getRange({})) out.push(value);
      return out;
    };
    return {
      retained: options.retained === false ? [] : values(this.retained),
      sessions: values(this.sessions),
      subscriptions: values(this.subscriptions),
      messages: values(this.messages),
      wills: values(this.wills),
    };
  }

  async readRetained(after: RetainedCursor | null, limit: number): Promise<RetainedChunk> {
    const records: RetainedRecord[] = [];
    let last: string | null = null;
    // One read, in one turn: a range iterator does not outlive lmdb-js's read transaction.
    for (const { key, value } of this.retained.getRange(after === null ? {} : { start: after })) {
      if (key === after) continue;
      if (records.length === limit) return { records, next: last };
      records.push(value);
      last = key as string;
    }
    return { records, next: null };
  }

  /** The names of the environment's databases (this version has meta, retained, sessions, messages and wills). */
  tableNames(): string[] {
    return [...this.env.getKeys()].map(String);
  }

  /**
   * Every entry of `table` in key order, each decoded alone, so that one damaged value is reported
   * rather than ending the walk (`warden store check`, `export`).
   */
  *entries(table: RecordTable): Generator<StoredEntry> {
    const db = this.tableOf(table);
    for (const key of db.getKeys({})) {
      try {
        yield { key, value: db.get(key), error: null };
      } catch (err) {
        yield { key, value: undefined, error: (err as Error).message };
      }
    }
  }

  private tableOf(table: RecordTable): Database<unknown, Key> {
    switch (table) {
      case 'retained':
        return this.retained;
      case 'sessions':
        return this.sessions;
      case 'subscriptions':
        return this.subscriptions;
      case 'messages':
        return this.messages;
      case 'wills':
        return this.wills;
    }
  }

  /**
   * Copy the store, as of now, into `dir` (an existing empty directory) as `data.mdb`; `compact`
   * leaves out the free pages (`warden store compact`). Writes made meanwhile are not waited for.
   */
  copyTo(dir: string, compact: boolean): Promise<void> {
    return this.env.backup(dir, compact);
  }

  /** Remove every record (`warden store import --replace`); queued with the writes, in call order. */
  clear(): void {
    this.commitTurn(); // what was written before, first
    for (const table of RECORD_TABLES) {
      const cleared = this.tableOf(table).clearAsync();
      this.track(cleared.then(() => true));
    }
  }

  putRetained(record: RetainedRecord): void {
    this.write(this.retained, keyOf(record.topic), record);
  }

  removeRetained(topic: string): void {
    this.write(this.retained, keyOf(topic), undefined);
  }

  putSession(record: SessionRecord): void {
    this.write(this.sessions, keyOf(record.clientId), record);
  }

  removeSession(clientId: string): void {
    this.write(this.sessions, keyOf(clientId), undefined);
  }

  putSubscription(record: SubscriptionRecord): void {
    this.write(this.subscriptions, [keyOf(record.clientId), keyOf(record.filter)], record);
  }

  removeSubscription(clientId: string, filter: string): void {
    this.write(this.subscriptions, [keyOf(clientId), keyOf(filter)], undefined);
  }

  putMessage(record: QueuedRecord): void {
    this.write(this.messages, [keyOf(record.clientId), record.seq], record);
  }

  removeMessage(clientId: string, seq: number): void {
    this.write(this.messages, [keyOf(clientId), seq], undefined);
  }

  putWill(record: WillRecord): void {
    this.write(this.wills, keyOf(record.clientId), record);
  }

  removeWill(clientId: string): void {
    this.write(this.wills, keyOf(clientId), undefined);
  }

  whenDurable(): Promise<void> | null {
    if (this.sync === 'none') return null;
    if (this.sync === 'batched') {
      // Committed at the end of this turn (commitTurn); nothing waiting: all is committed.
      if (this.turn.length === 0) return null;
      return (this.turnCommitted ??= deferred()).promise;
    }
    if (this.lastWrite === null) return null;
    // Every write since the last call is in the same transaction: the same answer.
    if (this.durableFor === this.lastWrite) return this.durablePromise;
    const committed = this.lastWrite;
    const promise =
      this.sync === 'always' ? committed.then(() => flushedOf(this.env)) : committed.then(() => undefined);
    this.durablePromise = promise;
    this.durableFor = committed;
    return promise;
  }

  /**
   * `batched` and `none`: flush to disk what was committed since the last flush (the interval's
   * entry point: a failure is logged and counted, never thrown).
   */
  private readonly flushCommitted = (): void => {
    if (this.flushing !== null || this.flushedWrites === this.committedWrites) return;
    const upTo = this.committedWrites;
    this.flushing = syncEnv(this.env)
      .then(
        () => {
          this.flushedWrites = upTo;
        },
        (err: unknown) => {
          if (this.stats !== null) this.stats.storeWriteErrors++;
          this.log?.error({ err, path: this.location }, 'flushing the store to disk failed');
        },
      )
      .finally(() => {
        this.flushing = null;
      });
  };

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer !== null) clearInterval(this.flushTimer);
    try {
      this.commitTurn();
      if (this.lastWrite !== null) await this.lastWrite.catch(() => false);
      if (!this.writeFailing || this.sync !== 'always') {
        if (this.sync === 'always') await flushedOf(this.env);
        else {
          await this.flushing;
          await syncEnv(this.env);
        }
        await this.env.close();
      } else {
        // After a failed commit lmdb-js settles neither `flushed` nor its close(): nothing more
        // can be written, so the broker does not wait for them.
        this.closeQuietly();
      }
    } finally {
      releaseStoreLock(this.location);
    }
  }

  /**
   * A put (`value` defined) or a remove. `always`: through lmdb-js's asynchronous writes, which
   * commit each turn's writes on its writer thread, with a flush. `batched` and `none`: into this
   * turn's list, committed in one synchronous MDB_NOSYNC transaction at the end of the turn
   * (commitTurn): with no flush to wait for, that costs a third less CPU than handing the writes
   * to a thread, and the acknowledgements go out in the same turn as the commit.
   */
  private write(db: Database<unknown, Key>, key: Key, value: unknown): void {
    if (this.sync === 'always') {
      this.track(value === undefined ? db.remove(key) : db.put(key, value));
      return;
    }
    this.writeCount++;
    this.turn.push(new TurnWrite(db, key, value));
    if (this.turn.length === 1) setImmediate(this.commitTurnContained);
  }

  private readonly commitTurnContained = (): void => this.commitTurn();

  /** Commit this turn's writes in one transaction (contained: a failure is counted and logged, and rejects the waiting acknowledgements). */
  private commitTurn(): void {
    if (this.turn.length === 0) return;
    const writes = this.turn;
    this.turn = [];
    const waiting = this.turnCommitted;
    this.turnCommitted = null;
    try {
      this.env.transactionSync(() => {
        for (const w of writes) {
          if (w.value === undefined) w.db.removeSync(w.key);
          else w.db.putSync(w.key, w.value);
        }
      });
      this.committedWrites += writes.length;
      this.onWritten();
      waiting?.resolve();
    } catch (err) {
      this.onWriteFailed(err);
      waiting?.reject(err);
    }
  }

  /**
   * Every write's failure is contained here (a full disk, a closed store): logged once per
   * episode and counted. lmdb-js gives every write of one transaction the same promise: one
   * handler per transaction.
   */
  private track(write: Promise<boolean>): void {
    this.writeCount++;
    if (write === this.lastWrite) return;
    this.lastWrite = write;
    write.then(this.onWrittenAsync, this.onWriteFailed);
  }

  private readonly onWrittenAsync = (): void => {
    this.committedWrites = this.writeCount;
    this.onWritten();
  };

  private readonly onWritten = (): void => {
    if (!this.writeFailing) return;
    this.writeFailing = false;
    this.log?.warn({ path: this.location }, 'store writes succeed again');
  };

  private readonly onWriteFailed = (err: unknown): void => {
    if (this.stats !== null) this.stats.storeWriteErrors++;
    // lmdb-js rejects each write with "Commit failed" and the cause (ENOSPC, EIO) in a promise of
    // its own, which nobody else handles: left alone, it would end the process.
    const cause = (err as { commitError?: PromiseLike<unknown> } | null)?.commitError;
    // The batch promise lmdb-js makes for itself when a batch starts is rejected too, with no
    // handler; `committed` hands this one to it before Node counts it as unhandled.
    Promise.resolve(this.env.committed).catch(() => undefined);
    const first = !this.writeFailing;
    this.writeFailing = true;
    if (cause !== undefined && typeof cause.then === 'function')
      cause.then(undefined, (reason: unknown) => {
        if (first) this.log?.error({ err: reason, path: this.location }, 'the store write failed because of this');
      });
    if (!first) return;
    this.log?.error(
      { err, path: this.location },
      'a store write failed (disk full or not writable?): acknowledgements that need it are withheld',
    );
  };
}

const RECORD_KEYS: { readonly [T in RecordTable]: (record: TableRecords[T]) => StoreKey } = {
  retained: (record) => keyOf(record.topic),
  sessions: (record) => keyOf(record.clientId),
  subscriptions: (record) => [keyOf(record.clientId), keyOf(record.filter)],
  messages: (record) => [keyOf(record.clientId), record.seq],
  wills: (record) => keyOf(record.clientId),
};

/** The key a valid record of `table` is stored under: an entry under another key is damaged (`warden store check`). */
export function recordKeyOf<T extends RecordTable>(table: T, record: TableRecords[T]): StoreKey {
  return RECORD_KEYS[table](record);
}

/** `id` as an LMDB key: itself when short, else a digest (the record keeps the whole id). */
function keyOf(id: string): string {
  if (id.length * 3 <= MAX_PLAIN_KEY_BYTES || Buffer.byteLength(id) <= MAX_PLAIN_KEY_BYTES) return id;
  return `\u0000sha256:${createHash('sha256').update(id).digest('base64')}`;
}

/** One write of a turn: a put, or a remove (`value` undefined). */
class TurnWrite {
  constructor(
    readonly db: Database<unknown, Key>,
    readonly key: Key,
    readonly value: unknown,
  ) {}
}

/** mdb_env_sync(force), off the main thread. */
function syncEnv(env: RootDatabase): Promise<void> {
  return new Promise((resolve, reject) => {
    (env as unknown as { sync(callback: (err: unknown) => void): void }).sync((err) => {
      if (err === null || err === undefined) resolve();
      else reject(err instanceof Error ? err : new Error(String(err)));
    });
  });
}

function flushedOf(env: RootDatabase): Promise<void> {
  return Promise.resolve(env.flushed).then(() => undefined);
}

function prepareDirectory(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK);
  } catch (err) {
    throw new StoreError(
      `${dir}: the store directory cannot be created or written (${(err as NodeJS.ErrnoException).code ?? String(err)}). Set persistence.path to a writable directory, or fix its permissions.`,
      { cause: err },
    );
  }
}
