// Re-evaluation instead of disconnection (docs/entitlement.md#re-evaluation): after the cache was
// cleared (a reset in `reevaluate` mode) or some answers were invalidated, ask the module again
// for what open connections hold — each user's logon, and the read of each literal topic they
// subscribe to — and act only on what is now denied: a user whose logon is denied is disconnected,
// a subscription whose read is denied is ended (the native client is told). Nothing else changes
// for anyone. What needs no asking here is re-decided where it is used: wildcard and regex
// deliveries, filters and select lists from the next message (the delivery plans ask again once
// the entitlement epoch moved), writes at their next publish.
import { isPromiseLike, type Decision } from './decision.js';
import type { EntitlementService } from './entitlement-service.js';
import type { InvalidationTarget } from './module-types.js';

/** A literal-topic subscription of a connection. */
export interface TopicSubscription {
  readonly sid: number;
  readonly topic: string;
}

/** What a re-evaluation needs of an open connection. */
export interface ReevaluatedConnection {
  readonly isOpen: boolean;
  readonly isLoggedOn: boolean;
  readonly userName: string | null;
  readonly listenerName: string;
  /** The vhost it is in, or null. */
  readonly vhostName: string | null;
  /** The entitlements its user is asked under: its listener's, or its vhost's. */
  readonly entitlements: EntitlementService;
  /** Literal-topic subscriptions whose end the client can be told of (native); [] where it cannot (MQTT: deliveries just stop). */
  revocableSubscriptions(): readonly TopicSubscription[];
  /** End subscription `sid` because the user may no longer read its topic; the client is told. */
  revokeSubscription(sid: number, topic: string): void;
  close(code: number, reason: string): void;
}

/** What a re-evaluation did (the answer of a reset in reevaluate mode). */
export interface ReevaluationReport {
  /** Logged-on connections looked at. */
  readonly connections: number;
  /** Closed because the user's logon is now denied. */
  readonly disconnected: number;
  /** Literal-topic subscriptions whose read was asked again. */
  readonly subscriptionsChecked: number;
  /** Ended because the read is now denied. */
  readonly subscriptionsRevoked: number;
  /** Checks whose module failed (threw, timed out): nothing was done about them, and deliveries stay fail-closed. */
  readonly failures: number;
  readonly durationMs: number;
}

/** Close code and reason of a connection whose logon a re-evaluation denied (as an entitlement reset's). */
export const REEVALUATION_CLOSE = {
  code: 4004,
  reason: 'entitlements re-evaluated: logon no longer entitled',
} as const;

/** Checks in flight at once: a remote module is asked at most this many questions together. */
const MAX_IN_FLIGHT = 64;

/** Which connections and answers: everyone's (undefined), or the answers `target` names. */
export type ReevaluationScope = InvalidationTarget | undefined;

export async function reevaluate(
  connections: Iterable<ReevaluatedConnection>,
  scope: ReevaluationScope,
  /** Only the connections of this vhost (a reset of one vhost). */
  vhost?: string,
): Promise<ReevaluationReport> {
  const started = performance.now();
  const counts = { connections: 0, disconnected: 0, subscriptionsChecked: 0, subscriptionsRevoked: 0, failures: 0 };
  const asksLogon = scope?.action === undefined || scope.action === 'logon';
  const asksRead = scope?.action === undefined || scope.action === 'read';
  const work: (() => Promise<void>)[] = [];
  for (const connection of [...connections]) {
    if (!connection.isOpen || !connection.isLoggedOn) continue;
    const user = connection.userName ?? '';
    if (scope !== undefined && user !== scope.user) continue;
    if (vhost !== undefined && connection.vhostName !== vhost) continue;
    counts.connections++;
    const service = connection.entitlements;
    work.push(async () => {
      if (asksLogon && scope?.resource === undefined) {
        const logon = await settle(service.check(user, 'logon', 'logon', ''));
        if (logon.failed) counts.failures++;
        else if (!logon.allow) {
          counts.disconnected++;
          connection.close(REEVALUATION_CLOSE.code, REEVALUATION_CLOSE.reason);
          return;
        }
      }
      if (!asksRead) return;
      for (const { sid, topic } of connection.revocableSubscriptions()) {
        if (scope?.resource !== undefined && topic !== scope.resource) continue;
        counts.subscriptionsChecked++;
        const read = await settle(service.check(user, 'read', 'topic', topic));
        if (read.failed) counts.failures++;
        else if (!read.allow && connection.isOpen) {
          counts.subscriptionsRevoked++;
          connection.revokeSubscription(sid, topic);
        }
      }
    });
  }
  await runBounded(work, MAX_IN_FLIGHT);
  return { ...counts, durationMs: Math.round((performance.now() - started) * 1000) / 1000 };
}

function settle(decision: Decision | Promise<Decision>): Promise<Decision> {
  return isPromiseLike(decision) ? decision : Promise.resolve(decision);
}

/** Run `tasks`, at most `limit` at once. */
async function runBounded(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}
