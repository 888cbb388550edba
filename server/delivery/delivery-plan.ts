// What a route's subscribers need per message, resolved once per route change rather than per
// message: the distinct receiving connections, and for each the frame prefix listing its matching
// subscription ids. The topic engine drops a route's plan (plan = null) whenever its entries change.
import type { SubscriptionId } from '../../protocol/native.js';
import { encodeDeliveryPrefix } from './delivery-frame.js';
import type { DeliveryTarget, SubscriptionEntry } from './subscription-entry.js';

export class DeliveryPlan {
  constructor(
    readonly targets: readonly DeliveryTarget[],
    readonly prefixes: readonly Buffer[],
  ) {}

  static build(entries: readonly SubscriptionEntry[]): DeliveryPlan {
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
    return new DeliveryPlan(targets, prefixes);
  }
}
