// What the topic engine stores per subscription: who receives, under which subscription id, and
// the subscriber's own content filter and select list (compiled once, at subscribe).
import type { Encoding, SubscriptionId } from '../../protocol/native.js';
import type { Decision } from '../security/decision.js';
import type { CompiledFilter } from '../content/filter/index.js';
import type { CompiledSelect } from '../content/select/index.js';
import type { BrokerStats } from '../stats.js';
import type { PendingRead } from './read-access.js';
import type { Message } from './message.js';
import type { SharedFrame } from '../transports/shared-frame.js';

/**
 * The plan a held delivery came from (a DeliveryPlan), as the target holding it sees it: the
 * delivery goes back through it once the read decision is known. An interface, so that this
 * module and delivery-plan.ts do not import each other.
 */
export interface HoldingPlan {
  /** Deliver `message` to the plan's target `index` under `decision`; returns the frames sent (DeliveryPlan.deliver). */
  deliver(index: number, decision: Decision, message: Message, stats: BrokerStats): number;
}

interface DeliveryTargetBase {
  /** The read entitlement for a topic: known now, or later. */
  readAccess(topic: string): Decision | Promise<Decision>;
  /** Hold `message` for plan target `index` until `pending` resolves (in order with everything else to this target). */
  holdDelivery(pending: PendingRead, plan: HoldingPlan, index: number, message: Message): void;
  /** A pending read this target holds deliveries for has resolved. */
  releaseHeld(): void;
  /** Entitlement rules that do not compile were sent by the module (logged once per answer). */
  reportInvalidRules(err: unknown): void;
  /** A delivery to this target (or asking its read entitlement) threw: dropped and counted by the caller; logged here. Must not throw. */
  reportDeliveryError(err: unknown, topic: string): void;
}

/**
 * A native-protocol connection: takes frames of a cached per-target prefix and a per-message body,
 * shared with every receiver of the message whose prefix is the same Buffer (Message.frame).
 */
export interface NativeDeliveryTarget extends DeliveryTargetBase {
  readonly kind: 'native';
  readonly encoding: Encoding;
  sendDelivery(frame: SharedFrame): void;
}

/** A connection that builds its own packets per subscription (MQTT): QoS and options are per subscription. */
export interface PacketDeliveryTarget extends DeliveryTargetBase {
  readonly kind: 'packet';
  /** Deliver `message` for these matching subscriptions of this target, projected by `projection` (null: as published). */
  deliverEntries(message: Message, entries: readonly SubscriptionEntry[], projection: CompiledSelect | null): void;
}

/** A receiving connection, as the delivery path sees it. */
export type DeliveryTarget = NativeDeliveryTarget | PacketDeliveryTarget;

export class SubscriptionEntry {
  constructor(
    readonly target: DeliveryTarget,
    readonly sid: SubscriptionId,
    readonly filter: CompiledFilter | null,
    readonly select: CompiledSelect | null,
    /** Protocol-specific subscription options (MQTT: QoS, no-local, ...); null for native subscriptions. */
    readonly options: unknown = null,
    /** A `$share` group's own entry: the group's key (`{share}/{filter}`), which the cluster routes as one; else null. */
    readonly shareGroup: string | null = null,
  ) {}
}
