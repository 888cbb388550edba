// The read entitlement of one receiving connection for one topic, as a delivery plan holds it:
// a Decision once known, or a PendingRead while the module is being asked (as AMPS's "Regular
// Expression Subscriptions": wildcard and regex subscriptions are entitled per concrete topic when
// a message is first delivered).
import type { Decision } from '../security/decision.js';

export class PendingRead {
  decision: Decision | null = null;
}

/** A failed check is retried no sooner than this, so a broken module is not asked per message. */
export const FAILED_READ_RETRY_MS = 1000;

export class FailedRead {
  constructor(readonly retryAt: number) {}
}

export type ReadAccess = Decision | PendingRead | FailedRead;
