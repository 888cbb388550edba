// The QoS 1 and 2 messages on their way to a connected client whose session is persistent,
// written to the broker's store as they go: queued behind the client's Receive Maximum, sent
// under a packet id, released (QoS 2, PUBREC came), done. After a crash the session comes back
// with them, as it would after a disconnection: those sent are resent with DUP and their packet
// id, the rest are sent. Each message is a record under [client id, place], the same key it keeps
// if the client disconnects (StoredSession), so nothing is written twice.
import type { BrokerStore } from '../store/store.js';
import type { OutgoingPublish } from './outbound.js';
import { queuedRecord } from './persisted-records.js';

/** What an Outbound tells the store about its QoS 1/2 messages (outbound.ts). */
export interface OutboundJournal {
  /** `out` entered: queued (`packetId` null) or sent under `packetId`. Returns its place. */
  entered(out: OutgoingPublish, packetId: number | null, released: boolean): number;
  /** The message at `place` was sent under `packetId`, or (`released`) its PUBREC came. */
  updated(place: number, out: OutgoingPublish, packetId: number, released: boolean): void;
  /** The message at `place` is done: acknowledged, expired or dropped. */
  left(place: number): void;
}

export class DeliveryJournal implements OutboundJournal {
  constructor(
    private readonly clientId: string,
    private readonly store: BrokerStore,
    /** The places of the session store's order (SessionStore.nextPlace). */
    private readonly order: { nextPlace(): number },
  ) {}

  entered(out: OutgoingPublish, packetId: number | null, released: boolean): number {
    const place = this.order.nextPlace();
    this.store.putMessage(queuedRecord(this.clientId, place, out, packetId, released));
    return place;
  }

  updated(place: number, out: OutgoingPublish, packetId: number, released: boolean): void {
    this.store.putMessage(queuedRecord(this.clientId, place, out, packetId, released));
  }

  left(place: number): void {
    this.store.removeMessage(this.clientId, place);
  }
}
