// What a route's subscribers need per message, resolved once per route change rather than per
// message: the distinct receiving connections, for each the frame prefix listing its matching
// subscription ids, and its read entitlement for the route's topic. The topic engine drops a
// route's plan (plan = null) whenever its entries change.
import type { SubscriptionId } from '../../protocol/native.js';
import { isPromiseLike, type Decision } from '../security/decision.js';
import { encodeDeliveryPrefix } from './delivery-frame.js';
import { FAILED_READ_RETRY_MS, FailedRead, PendingRead, type ReadAccess } from './read-access.js';
import type { DeliveryTarget, SubscriptionEntry } from './subscription-entry.js';

export class DeliveryPlan {
  private constructor(
    readonly topic: string,
    readonly targets: readonly DeliveryTarget[],
    readonly prefixes: readonly Buffer[],
    readonly access: ReadAccess[],
  ) {}

  static build(topic: string, entries: readonly SubscriptionEntry[]): DeliveryPlan {
    const sidsByTarget = new Map<DeliveryTarget, SubscriptionId[]>();
    for (const entry of entries) {
      const sids = sidsByTarget.get(entry.target);
      if (sids === undefined) sidsByTarget.set(entry.target, [entry.sid]);
      else sids.push(entry.sid);
    }
    const targets: DeliveryTarget[] = [];
    const prefixes: Buffer[] = [];
    for (const [target, sids] of sidsByTarget) {
      targets.push(target);
      prefixes.push(encodeDeliveryPrefix(target.encoding, sids));
    }
    const plan = new DeliveryPlan(topic, targets, prefixes, new Array<ReadAccess>(targets.length));
    for (let i = 0; i < targets.length; i++) plan.resolve(i);
    return plan;
  }

  /** Ask target i's read entitlement; a pending answer lands in this plan when it arrives. */
  resolve(i: number): ReadAccess {
    const target = this.targets[i]!;
    const answer = target.readAccess(this.topic);
    if (!isPromiseLike(answer)) return (this.access[i] = settled(answer));
    const pending = new PendingRead();
    this.access[i] = pending;
    answer.then((decision) => {
      pending.decision = decision;
      if (this.access[i] === pending) this.access[i] = settled(decision);
      target.releaseHeld();
    });
    return pending;
  }
}

function settled(decision: Decision): ReadAccess {
  return decision.failed ? new FailedRead(Date.now() + FAILED_READ_RETRY_MS) : decision;
}
