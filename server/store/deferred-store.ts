// The store of a cluster node: the Redis store needs the cluster's connection, which the broker
// makes when it starts, after the objects that write to the store exist. This stands in for it
// from the start and forwards every call once attach() gave it the real one; a call before that
// is a bug (nothing is restored or written before the cluster connects) and throws.
import type { QueuedRecord, RetainedRecord, SessionRecord, SubscriptionRecord, WillRecord } from './records.js';
import type { BrokerStore, RetainedChunk, RetainedCursor, StoredState } from './store.js';

export class DeferredStore implements BrokerStore {
  private target: BrokerStore | null = null;

  constructor(readonly kind: string) {}

  attach(store: BrokerStore): void {
    this.target = store;
  }

  private get store(): BrokerStore {
    if (this.target === null) throw new Error(`the ${this.kind} store is used before the broker connected it`);
    return this.target;
  }

  get durable(): boolean {
    return this.target?.durable ?? true;
  }

  get location(): string | null {
    return this.target?.location ?? null;
  }

  get failing(): boolean {
    return this.target?.failing ?? false;
  }

  get writes(): number {
    return this.target?.writes ?? 0;
  }

  load(options?: { readonly retained?: boolean }): Promise<StoredState> {
    return this.store.load(options);
  }

  readRetained(after: RetainedCursor | null, limit: number): Promise<RetainedChunk> {
    return this.store.readRetained(after, limit);
  }

  putRetained(record: RetainedRecord): void {
    this.store.putRetained(record);
  }

  removeRetained(topic: string): void {
    this.store.removeRetained(topic);
  }

  putSession(record: SessionRecord): void {
    this.store.putSession(record);
  }

  removeSession(clientId: string): void {
    this.store.removeSession(clientId);
  }

  putSubscription(record: SubscriptionRecord): void {
    this.store.putSubscription(record);
  }

  removeSubscription(clientId: string, filter: string): void {
    this.store.removeSubscription(clientId, filter);
  }

  putMessage(record: QueuedRecord): void {
    this.store.putMessage(record);
  }

  removeMessage(clientId: string, seq: number): void {
    this.store.removeMessage(clientId, seq);
  }

  putWill(record: WillRecord): void {
    this.store.putWill(record);
  }

  removeWill(clientId: string): void {
    this.store.removeWill(clientId);
  }

  whenDurable(): Promise<void> | null {
    return this.target?.whenDurable() ?? null;
  }

  /** Closing a store never attached (the broker failed to start) is nothing to do. */
  close(): Promise<void> {
    return this.target?.close() ?? Promise.resolve();
  }
}
