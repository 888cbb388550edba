// What the topic engine stores per subscription: who receives and under which subscription id.
import type { Encoding, SubscriptionId } from '../../protocol/native.js';

/** A receiving connection, as the delivery path sees it. */
export interface DeliveryTarget {
  readonly encoding: Encoding;
  /** Queue one delivery frame made of a per-target prefix and a per-message shared body. */
  sendDelivery(prefix: Buffer, body: Buffer): void;
}

export class SubscriptionEntry {
  constructor(
    readonly target: DeliveryTarget,
    readonly sid: SubscriptionId,
  ) {}
}
