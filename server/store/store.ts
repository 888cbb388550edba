// What the broker keeps across a restart, behind one small interface: retained messages,
// persistent MQTT sessions with the messages queued for them, and wills waiting out their v5
// delay. The records are plain data (records.ts); the MQTT adapter turns its objects into them
// and back. Writes are fire-and-forget from the caller's side, applied in call order; what a
// publisher's acknowledgement waits for is asked separately (whenDurable), so the delivery path
// pays for durability only where a message was actually written.
import type { RetainedRecord, SessionRecord, SubscriptionRecord, QueuedRecord, WillRecord } from './records.js';

/** What `persistence.sync` makes an acknowledgement wait for (docs/persistence.md). */
export type SyncMode = 'always' | 'batched' | 'none';

/** Everything a store held when it was opened, in key order. */
export interface StoredState {
  readonly retained: readonly RetainedRecord[];
  readonly sessions: readonly SessionRecord[];
  /** Every subscription of a persistent session, by client id. */
  readonly subscriptions: readonly SubscriptionRecord[];
  /** Every queued message, by client id, then by its place (`seq`). */
  readonly messages: readonly QueuedRecord[];
  readonly wills: readonly WillRecord[];
}

/** Where a chunk of retained messages ended: opaque to the caller. */
export type RetainedCursor = string;

export interface RetainedChunk {
  readonly records: readonly RetainedRecord[];
  /** Pass to the next readRetained; null when this chunk was the last. */
  readonly next: RetainedCursor | null;
}

/** How much a store holds, for `warden store check` and the start-up log. */
export interface StoreCounts {
  readonly retained: number;
  readonly sessions: number;
  readonly subscriptions: number;
  readonly messages: number;
  readonly wills: number;
}

export interface BrokerStore {
  /** `lmdb` or `memory`: named in logs and errors. */
  readonly kind: string;
  /** False for a store that ends with the process (the start-up log says so). */
  readonly durable: boolean;
  /** Where it lives (a directory), or null. */
  readonly location: string | null;

  /**
   * Read everything (once, at start-up, before any write); `retained: false` leaves the retained
   * messages out (the broker reads them in the background: readRetained). A promise: a networked
   * store (Redis) reads asynchronously.
   */
  load(options?: { readonly retained?: boolean }): Promise<StoredState>;
  /** Up to `limit` retained messages in key order, after the one keyed `after` (null: from the first); fewer at the end. */
  readRetained(after: RetainedCursor | null, limit: number): Promise<RetainedChunk>;

  putRetained(record: RetainedRecord): void;
  removeRetained(topic: string): void;

  putSession(record: SessionRecord): void;
  /** Remove the session record alone; its subscriptions and messages are removed one by one by their owner. */
  removeSession(clientId: string): void;
  putSubscription(record: SubscriptionRecord): void;
  removeSubscription(clientId: string, filter: string): void;
  putMessage(record: QueuedRecord): void;
  removeMessage(clientId: string, seq: number): void;

  putWill(record: WillRecord): void;
  removeWill(clientId: string): void;

  /** Writes made so far (a counter): compare two readings to learn whether a step wrote anything. */
  readonly writes: number;
  /** True from a failed write until one succeeds again (GET /readyz reports it). */
  readonly failing: boolean;
  /**
   * Resolves when every write made so far is as durable as `persistence.sync` promises (committed;
   * for `always` also on disk); null when there is nothing to wait for. Rejects when a write failed
   * (a full disk): the caller does not acknowledge.
   */
  whenDurable(): Promise<void> | null;

  /** Wait for every write made so far to be committed and on disk, then close. */
  close(): Promise<void>;
}
