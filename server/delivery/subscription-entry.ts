// What the topic engine stores per subscription: who receives, under which subscription id, and
// the subscriber's own content filter and select list (compiled once, at subscribe).
import type { Encoding, SubscriptionId } from '../../protocol/native.js';
import type { Decision } from '../security/decision.js';
import type { CompiledFilter } from '../content/filter/index.js';
import type { CompiledSelect } from '../content/select/index.js';
import type { PendingRead } from './read-access.js';
import type { DeliveryPlan } from './delivery-plan.js';
import type { Message } from './message.js';

/** A receiving connection, as the delivery path sees it. */
export interface DeliveryTarget {
  readonly encoding: Encoding;
  /** The read entitlement for a topic: known now, or later. */
  readAccess(topic: string): Decision | Promise<Decision>;
  /** Queue one delivery frame made of a per-target prefix and a per-message shared body. */
  sendDelivery(prefix: Buffer, body: Buffer): void;
  /** Hold `message` for plan target `index` until `pending` resolves (in order with everything else to this target). */
  holdDelivery(pending: PendingRead, plan: DeliveryPlan, index: number, message: Message): void;
  /** A pending read this target holds deliveries for has resolved. */
  releaseHeld(): void;
  /** Entitlement rules that do not compile were sent by the module (logged once per answer). */
  reportInvalidRules(err: unknown): void;
}

export class SubscriptionEntry {
  constructor(
    readonly target: DeliveryTarget,
    readonly sid: SubscriptionId,
    readonly filter: CompiledFilter | null,
    readonly select: CompiledSelect | null,
  ) {}
}
