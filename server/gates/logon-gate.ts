// The logon pipeline, the same for every protocol: admission's refusal at accept, then the
// authentication module (through the logon guard), then the logon entitlement, then the
// protocol's own last check, then admission control. Each protocol adapter only turns the result
// into its own answer (a native error frame, an MQTT CONNACK) and keeps its own challenge state.
//
// The order is the AMPS User Guide's (*Securing AMPS*: authenticate, then entitle the logon) with
// admission after authentication, as netconfd-pro's *Session Admission Control* places it.
// Refusals are counted (logonFailures) and logged here, once; the client is never told why.
import type { Logger } from 'pino';
import type { AuditLog, LogonAudit } from '../audit/audit-log.js';
import type { Admission, AdmissionTicket } from '../admission/admission.js';
import { AdmissionRefusal } from '../admission/refusal.js';
import type { AuthOutcome } from '../security/authenticator.js';
import { isPromiseLike, type Decision } from '../security/decision.js';
import type { ThrottleKind } from '../security/logon-guard.js';
import type { AuthAnswer, LogonRequest } from '../security/module-types.js';
import type { ListenerSecurity } from '../security/security-manager.js';
import type { BrokerStats } from '../stats.js';
import type { HostNameResolver } from '../security/authentication/host-access.js';
import { VhostLimitRefusal } from '../vhosts/vhost-connection-limits.js';
import { VhostSeat } from '../vhosts/vhost-seat.js';
import type { Vhost } from '../vhosts/vhosts.js';

export type Challenge = Extract<AuthAnswer, { outcome: 'challenge' }>;
type AuthAccepted = Extract<AuthAnswer, { outcome: 'accept' }>;

/** Which entry point the logon came through: in the log of every refusal. */
export type GateProtocol = 'native' | 'mqtt' | 'http';

export interface LogonAttempt {
  readonly protocol: GateProtocol;
  /** The session id, for the log. */
  readonly session: string;
  /** What the authentication module is asked. */
  readonly request: LogonRequest;
  /** Admission's refusal when the connection was accepted (a host over its connection rate), or null. */
  readonly acceptRefusal: AdmissionRefusal | null;
  /** False where the client cannot answer a challenge (an implicit logon, MQTT without an authentication method). */
  readonly challengeable: boolean;
  /** Asked after each wait: false when the connection has gone, and the rest is skipped. */
  readonly stillWaiting: () => boolean;
  /**
   * The protocol's own check after the logon entitlement and before admission (MQTT client-id
   * ownership): a reason for the log to refuse, or null. It runs in the same synchronous step as
   * admission and the caller's acceptance, so nothing changes between them.
   */
  readonly beforeAdmission: ((identity: string) => string | null) | null;
  /** The ticket of a connection this logon replaces (an MQTT takeover): admission counts it as gone. */
  readonly replaces: (() => AdmissionTicket | null) | null;
}

export interface LogonAccepted {
  readonly kind: 'accepted';
  readonly identity: string;
  readonly ticket: AdmissionTicket;
  /** The module's final data for the client (a SCRAM server-final-message), if any. */
  readonly data: string | undefined;
}

/** The module asked a question: the protocol sends it and passes the answer to respond(). */
export interface LogonChallenged {
  readonly kind: 'challenge';
  readonly challenge: Challenge;
}

export type LogonRefusalReason =
  /** The module rejected the credentials. */
  | 'rejected'
  /** The module failed (threw, timed out, answered nonsense): try again later. */
  | 'unavailable'
  /** The module asked a question where the client cannot answer one. */
  | 'challenge-unsupported'
  /** The logon entitlement denied the user. */
  | 'not-entitled'
  /** The logon entitlement check failed (denied, fail closed). */
  | 'entitlement-unavailable'
  /** The protocol's own check (LogonAttempt.beforeAdmission) refused. */
  | 'protocol'
  /** The logon guard refused without asking the module (see `throttle`). */
  | 'throttled'
  /** Admission control refused (see `admission`). */
  | 'admission'
  /** No vhost could be chosen for the connection (docs/vhosts.md#choosing-the-vhost). */
  | 'vhost';

export interface LogonRefused {
  readonly kind: 'refused';
  readonly reason: LogonRefusalReason;
  /** For the log only. */
  readonly detail: string;
  /** The claimed user, or the authenticated identity once there is one. */
  readonly user: string;
  readonly throttle: ThrottleKind | null;
  readonly admission: AdmissionRefusal | null;
}

/** The connection closed while the logon waited: nothing to answer. */
export interface LogonAbandoned {
  readonly kind: 'abandoned';
}

export type LogonResult = LogonAccepted | LogonChallenged | LogonRefused | LogonAbandoned;

const ABANDONED: LogonAbandoned = Object.freeze({ kind: 'abandoned' });

/** What a logon into a vhost also passes: its group's remote hosts, then its connection limits. */
export interface VhostLogon {
  readonly vhost: Vhost;
  /** Names of a client's address for `remoteHosts` names (reverse DNS, forward-confirmed). */
  readonly resolveNames: HostNameResolver;
}

/**
 * One per listener (per listener and vhost, with vhosts): its authentication module and
 * entitlements, and the broker's admission control.
 */
export class LogonGate {
  constructor(
    private readonly security: ListenerSecurity,
    private readonly admission: Admission,
    private readonly stats: BrokerStats,
    private readonly log: Logger,
    /** One line per logon, accepted or refused (audit.enabled), or null. */
    private readonly audit: AuditLog | null = null,
    /** The vhost this gate logs connections into, or null without vhosts. */
    private readonly vhost: VhostLogon | null = null,
  ) {}

  /** True when the listener's module logs on a connection that sends a command without a logon. */
  get allowsImplicitLogon(): boolean {
    return this.security.authenticator.allowsImplicitLogon;
  }

  /**
   * Synchronous when every step answers synchronously (a module like allow-any, a cached logon
   * entitlement): a connection storm then costs no promise per logon.
   */
  logon(attempt: LogonAttempt): LogonResult | Promise<LogonResult> {
    if (attempt.acceptRefusal !== null)
      return this.refuseAdmission(attempt, attempt.request.user, attempt.acceptRefusal);
    const outcome = this.security.authenticator.authenticate(attempt.request, attempt.stillWaiting);
    if (isPromiseLike(outcome)) return outcome.then((o) => this.settle(attempt, attempt.request.user, o));
    return this.settle(attempt, attempt.request.user, outcome);
  }

  /** The client's answer to a challenge that logon() or respond() returned. */
  async respond(attempt: LogonAttempt, challenge: Challenge, answer: string): Promise<LogonResult> {
    const { user, remoteAddress } = attempt.request;
    const outcome = await this.security.authenticator.respond(
      challenge,
      answer,
      user,
      remoteAddress,
      attempt.stillWaiting,
    );
    return this.settle(attempt, user, outcome);
  }

  private settle(attempt: LogonAttempt, claimed: string, outcome: AuthOutcome): LogonResult | Promise<LogonResult> {
    if (!attempt.stillWaiting()) return ABANDONED;
    switch (outcome.outcome) {
      case 'failed':
        return this.refuse(attempt, 'unavailable', claimed, outcome.reason);
      case 'reject':
        return this.refuse(attempt, 'rejected', claimed, outcome.reason);
      case 'throttled':
        return this.refuseThrottled(attempt, claimed, outcome.kind, outcome.reason);
      case 'challenge':
        if (!attempt.challengeable)
          return this.refuse(
            attempt,
            'challenge-unsupported',
            claimed,
            'the module asked for a challenge-response exchange',
          );
        return { kind: 'challenge', challenge: outcome };
      case 'accept':
        break;
    }
    const identity = outcome.identity;
    const pending = this.security.entitlements.check(identity, 'logon', 'logon', '');
    if (isPromiseLike(pending))
      return Promise.resolve(pending).then((decision) => this.entitled(attempt, outcome, decision));
    return this.entitled(attempt, outcome, pending);
  }

  /** After the logon entitlement: in a vhost, the group's remote hosts; then admit(). */
  private entitled(
    attempt: LogonAttempt,
    outcome: AuthAccepted,
    decision: Decision,
  ): LogonResult | Promise<LogonResult> {
    const identity = outcome.identity;
    if (!attempt.stillWaiting()) return ABANDONED;
    if (!decision.allow) {
      if (decision.failed)
        return this.refuse(attempt, 'entitlement-unavailable', identity, 'logon entitlement check failed');
      return this.refuse(attempt, 'not-entitled', identity, 'not entitled to log on');
    }
    const vhost = this.vhost;
    if (vhost === null) return this.admit(attempt, outcome);
    const remote = attempt.request.remoteAddress;
    return vhost.vhost.rules.isRemoteHostAllowed(identity, remote, vhost.resolveNames).then((allowed) => {
      if (!attempt.stillWaiting()) return ABANDONED;
      if (allowed) return this.admit(attempt, outcome);
      this.stats.connectionsRefusedHost++;
      const group = vhost.vhost.rules.groupOf(identity)?.name ?? '(none)';
      return this.refuseAdmission(
        attempt,
        identity,
        new AdmissionRefusal(
          'host-not-allowed',
          `${remote} is not in the remoteHosts of group ${group} of vhost ${vhost.vhost.name}`,
        ),
      );
    });
  }

  /**
   * A connection for which no vhost could be chosen (the caller chose with chooseVhost): logged,
   * audited and counted as every refusal is; the client is told only that its logon was refused.
   */
  refuseVhost(attempt: LogonAttempt, user: string, detail: string): LogonRefused {
    return this.refuse(attempt, 'vhost', user, detail);
  }

  /** The protocol's own check, then admission (and the vhost's limits under it). */
  private admit(attempt: LogonAttempt, outcome: AuthAccepted): LogonResult | Promise<LogonResult> {
    const identity = outcome.identity;
    const protocolRefusal = attempt.beforeAdmission?.(identity) ?? null;
    if (protocolRefusal !== null) return this.refuse(attempt, 'protocol', identity, protocolRefusal);
    const replacing = attempt.replaces?.() ?? null;
    const admitted = this.admission.admit(identity, attempt.request.remoteAddress, replacing);
    if (admitted instanceof AdmissionRefusal) return this.refuseAdmission(attempt, identity, admitted);
    if (this.vhost !== null) {
      const refusal = this.seat(admitted, identity, replacing);
      if (refusal !== null) return this.refuseAdmission(attempt, identity, refusal);
    }
    const accepted: LogonAccepted = { kind: 'accepted', identity, ticket: admitted, data: outcome.data };
    if (this.admission.cluster === null) return this.accepted(attempt, accepted);
    // In a cluster the limits count every node: one Redis round trip (cluster/cluster-limits.ts).
    return this.admission.admitInCluster(admitted, replacing).then((refusal) => {
      if (refusal !== null) return this.refuseAdmission(attempt, identity, refusal);
      return this.accepted(attempt, accepted);
    });
  }

  /** A place under the vhost's own limits, inside the broker's (AMQ Interconnect 7.2.3); refused: the ticket is given back. */
  private seat(ticket: AdmissionTicket, user: string, replacing: AdmissionTicket | null): AdmissionRefusal | null {
    const vhost = this.vhost!.vhost;
    const counted = vhost.limits.admit(user, ticket.host, replacing?.vhostSeat?.ticket ?? null);
    if (counted instanceof VhostLimitRefusal) {
      ticket.release();
      this.stats.connectionsRefusedLimit++;
      return counted;
    }
    ticket.vhostSeat = new VhostSeat(vhost, vhost.rules.groupOf(user), counted);
    return null;
  }

  private accepted(attempt: LogonAttempt, accepted: LogonAccepted): LogonAccepted {
    this.stats.logons++;
    this.audit?.logon('accepted', this.auditFields(attempt, accepted.identity));
    return accepted;
  }

  private auditFields(attempt: LogonAttempt, user: string, reason?: string): LogonAudit {
    const { listener, remoteAddress } = attempt.request;
    return {
      protocol: attempt.protocol,
      session: attempt.session,
      user,
      listener,
      remote: remoteAddress,
      ...(reason !== undefined ? { reason } : {}),
    };
  }

  private refuse(attempt: LogonAttempt, reason: LogonRefusalReason, user: string, detail: string): LogonRefused {
    this.stats.logonFailures++;
    if (reason === 'rejected') this.stats.logonsRejected++;
    else if (reason === 'not-entitled') this.stats.logonsNotEntitled++;
    else if (reason === 'unavailable' || reason === 'entitlement-unavailable') this.stats.logonsModuleFailed++;
    else this.stats.logonsRefusedProtocol++;
    this.audit?.logon('refused', this.auditFields(attempt, user, `${reason}: ${detail}`));
    this.log.warn(this.fields(attempt, user, { reason: detail }), 'logon refused');
    return { kind: 'refused', reason, detail, user, throttle: null, admission: null };
  }

  /** Logged at debug: a flood makes thousands, and the logon guard warns when a block starts. */
  private refuseThrottled(attempt: LogonAttempt, user: string, throttle: ThrottleKind, detail: string): LogonRefused {
    this.stats.logonFailures++;
    this.audit?.logon('refused', this.auditFields(attempt, user, `throttled: ${detail}`));
    this.log.debug(this.fields(attempt, user, { reason: detail }), 'logon refused by the logon guard');
    return { kind: 'refused', reason: 'throttled', detail, user, throttle, admission: null };
  }

  /** A refusal admission reports as quiet (a storm it already logged for this host) goes to debug. */
  private refuseAdmission(attempt: LogonAttempt, user: string, refusal: AdmissionRefusal): LogonRefused {
    this.stats.logonFailures++;
    this.audit?.logon('refused', this.auditFields(attempt, user, `admission: ${refusal.detail}`));
    const fields = this.fields(attempt, user, { refusal: refusal.kind, reason: refusal.detail });
    if (refusal.quiet) this.log.debug(fields, 'logon refused by admission control');
    else this.log.warn(fields, 'logon refused by admission control');
    return { kind: 'refused', reason: 'admission', detail: refusal.detail, user, throttle: null, admission: refusal };
  }

  private fields(attempt: LogonAttempt, user: string, more: Record<string, string>): Record<string, string> {
    const { listener, remoteAddress } = attempt.request;
    const fields = {
      protocol: attempt.protocol,
      session: attempt.session,
      user,
      listener,
      remote: remoteAddress,
      ...more,
    };
    return this.vhost === null ? fields : { ...fields, vhost: this.vhost.vhost.name };
  }
}
