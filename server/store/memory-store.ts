// `persistence.store: memory`: the records in Maps, gone with the process. A broker on it forgets
// everything at a restart (and logs so at start-up). An embedder, or a test, may hand the same
// MemoryStore to a second broker in the same process: it then starts from what the first kept.
import type { BrokerStore, RetainedChunk, RetainedCursor, StoredState } from './store.js';
import type { QueuedRecord, RetainedRecord, SessionRecord, SubscriptionRecord, WillRecord } from './records.js';

export class MemoryStore implements BrokerStore {
  readonly kind = 'memory';
  readonly durable = false;
  readonly location = null;
  private readonly retained = new Map<string, RetainedRecord>();
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly subscriptions = new Map<string, Map<string, SubscriptionRecord>>();
  private readonly messages = new Map<string, Map<number, QueuedRecord>>();
  private readonly wills = new Map<string, WillRecord>();
  private writeCount = 0;
  /** Memory never fails a write. */
  readonly failing = false;

  get writes(): number {
    return this.writeCount;
  }

  async load(options: { readonly retained?: boolean } = {}): Promise<StoredState> {
    const byKey = <T>(map: Map<string, T>): T[] => [...map.keys()].sort().map((k) => map.get(k)!);
    const subscriptions: SubscriptionRecord[] = [];
    for (const clientId of [...this.subscriptions.keys()].sort())
      subscriptions.push(...byKey(this.subscriptions.get(clientId)!));
    const messages: QueuedRecord[] = [];
    for (const clientId of [...this.messages.keys()].sort())
      messages.push(...[...this.messages.get(clientId)!.values()].sort((a, b) => a.seq - b.seq));
    return {
      retained: options.retained === false ? [] : byKey(this.retained),
      sessions: byKey(this.sessions),
      subscriptions,
      messages,
      wills: byKey(this.wills),
    };
  }

  async readRetained(after: RetainedCursor | null, limit: number): Promise<RetainedChunk> {
    const topics = [...this.retained.keys()].sort().filter((t) => after === null || t > after);
    const taken = topics.slice(0, limit);
    return {
      records: taken.map((t) => this.retained.get(t)!),
      next: topics.length > limit ? taken.at(-1)! : null,
    };
  }

  putRetained(record: RetainedRecord): void {
    this.writeCount++;
    this.retained.set(record.topic, record);
  }

  removeRetained(topic: string): void {
    this.writeCount++;
    this.retained.delete(topic);
  }

  putSession(record: SessionRecord): void {
    this.writeCount++;
    this.sessions.set(record.clientId, record);
  }

  removeSession(clientId: string): void {
    this.writeCount++;
    this.sessions.delete(clientId);
  }

  putSubscription(record: SubscriptionRecord): void {
    this.writeCount++;
    let subscriptions = this.subscriptions.get(record.clientId);
    if (subscriptions === undefined) this.subscriptions.set(record.clientId, (subscriptions = new Map()));
    subscriptions.set(record.filter, record);
  }

  removeSubscription(clientId: string, filter: string): void {
    this.writeCount++;
    const subscriptions = this.subscriptions.get(clientId);
    if (subscriptions === undefined) return;
    subscriptions.delete(filter);
    if (subscriptions.size === 0) this.subscriptions.delete(clientId);
  }

  putMessage(record: QueuedRecord): void {
    this.writeCount++;
    let queue = this.messages.get(record.clientId);
    if (queue === undefined) this.messages.set(record.clientId, (queue = new Map()));
    queue.set(record.seq, record);
  }

  removeMessage(clientId: string, seq: number): void {
    this.writeCount++;
    const queue = this.messages.get(clientId);
    if (queue === undefined) return;
    queue.delete(seq);
    if (queue.size === 0) this.messages.delete(clientId);
  }

  putWill(record: WillRecord): void {
    this.writeCount++;
    this.wills.set(record.clientId, record);
  }

  removeWill(clientId: string): void {
    this.writeCount++;
    this.wills.delete(clientId);
  }

  whenDurable(): null {
    return null;
  }

  async close(): Promise<void> {}
}
