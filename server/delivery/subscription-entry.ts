// What the topic engine stores per subscription: who receives and under which subscription id.
import type { Encoding, SubscriptionId } from '../../protocol/native.js';
import type { Decision } from '../security/decision.js';
import type { PendingRead } from './read-access.js';

/** A receiving connection, as the delivery path sees it. */
export interface DeliveryTarget {
  readonly encoding: Encoding;
  /** The read entitlement for a topic: known now, or later. */
  readAccess(topic: string): Decision | Promise<Decision>;
  /** Queue one delivery frame made of a per-target prefix and a per-message shared body. */
  sendDelivery(prefix: Buffer, body: Buffer): void;
  /** Hold a delivery until `pending` resolves (in order with everything else sent to this target). */
  holdDelivery(pending: PendingRead, prefix: Buffer, body: Buffer): void;
  /** A pending read this target holds deliveries for has resolved. */
  releaseHeld(): void;
  /** A delivery was skipped because the target may not read the topic. */
  countSkipped(): void;
}

export class SubscriptionEntry {
  constructor(
    readonly target: DeliveryTarget,
    readonly sid: SubscriptionId,
  ) {}
}
