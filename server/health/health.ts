// Liveness and readiness for probes (GET /healthz, GET /readyz), answered without credentials:
// a load balancer or an orchestrator asks them often and holds no admin password. Each answer is
// the list of checks with a reason for every failing one, 200 when all pass, 503 otherwise. They
// read state the broker keeps anyway: nothing here runs per message.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../admin/json-response.js';

/** One check: passing, or failing with why (said in the answer, never a secret). */
export type HealthCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface HealthReport {
  readonly status: 'ok' | 'unavailable';
  readonly checks: Readonly<Record<string, HealthCheck>>;
}

/** What the broker answers the two probes with. */
export interface HealthSource {
  /** The process is alive and serving: it answers at all, and is not stopping. */
  liveness(): Readonly<Record<string, HealthCheck>>;
  /** Listeners bound, modules loaded, the store writing and the cluster connected, where configured. */
  readiness(): Readonly<Record<string, HealthCheck>>;
}

export const HEALTH_PATHS = { liveness: '/healthz', readiness: '/readyz' } as const;

export const PASS: HealthCheck = Object.freeze({ ok: true });

export function fail(reason: string): HealthCheck {
  return { ok: false, reason };
}

export function report(checks: Readonly<Record<string, HealthCheck>>): HealthReport {
  const ok = Object.values(checks).every((check) => check.ok);
  return { status: ok ? 'ok' : 'unavailable', checks };
}

/**
 * Answer `req` if it is a probe (GET or HEAD of /healthz or /readyz); false for anything else,
 * which the caller handles (the admin listener authenticates it).
 */
export function answerProbe(req: IncomingMessage, res: ServerResponse, source: HealthSource): boolean {
  const path = (req.url ?? '/').split('?', 1)[0];
  const probe =
    path === HEALTH_PATHS.liveness ? source.liveness : path === HEALTH_PATHS.readiness ? source.readiness : null;
  if (probe === null) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: `${path} takes GET` } }, { Allow: 'GET, HEAD' });
    return true;
  }
  const answer = report(probe.call(source));
  sendJson(res, answer.status === 'ok' ? 200 : 503, answer);
  return true;
}
