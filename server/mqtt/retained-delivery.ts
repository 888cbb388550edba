// Retained messages sent to a subscription when it is made (after the SUBACK). Each goes through
// a one-subscription DeliveryPlan and Router.deliver, like a live message: the read entitlement
// for its concrete topic (held while pending), then entitlement filters and select lists.
import type { SubscriptionEntry } from '../delivery/subscription-entry.js';
import type { SubscriptionPattern } from '../topics/index.js';
import type { RetainHandling } from './subscription-options.js';
import type { RetainedReceiver } from './client-session.js';

/** A subscription just granted, and whether retained messages go to it. */
export class GrantedSubscription {
  constructor(
    readonly filter: string,
    readonly entry: SubscriptionEntry,
    readonly pattern: SubscriptionPattern,
    readonly retainHandling: RetainHandling,
    /** The filter was already subscribed (the new subscription replaced it). */
    readonly existed: boolean,
  ) {}

  get wantsRetained(): boolean {
    return this.retainHandling === 0 || (this.retainHandling === 1 && !this.existed);
  }
}

export function sendRetained(session: RetainedReceiver, granted: GrantedSubscription): void {
  if (!granted.wantsRetained || session.state !== 'active') return;
  // Still being read from the store at start-up: they go out when it is done (checked again then).
  if (session.ctx.retained.isRestoring) {
    session.ctx.retained.afterRestore(() => sendRetained(session, granted));
    return;
  }
  // The same filter twice in one SUBSCRIBE: only the subscription that stayed gets them.
  if (session.subscriptions.get(granted.filter)?.value !== granted.entry) return;
  const { retained, router } = session.ctx;
  const messages = retained.matching(granted.pattern);
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    session.ctx.stats.deliveries += router.deliver(router.plan(message.topic, [granted.entry]), message);
  }
}
