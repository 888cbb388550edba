// What HTTP publish needs from the broker (HttpPublishContext), and what the connections of one
// listener share (HttpListenerParts): the two boundaries of an HttpPublishSession.
import type { Logger } from 'pino';
import type { Admission } from '../admission/admission.js';
import type { HttpListenerOptions } from '../config/index.js';
import type { Message } from '../delivery/message.js';
import type { Router } from '../delivery/router.js';
import type { ListenerGates } from '../gates/listener-gates.js';
import type { ListenerVhostGates } from '../gates/vhost-gates.js';
import type { BrokerStats } from '../stats.js';
import type { BrokerStore } from '../store/store.js';
import type { Timers } from '../timers.js';
import type { BodyBudget } from './body-budget.js';
import type { HttpPublishSession } from './http-publish-session.js';

/** What HTTP publish needs from the broker. */
export interface HttpPublishContext {
  readonly stats: BrokerStats;
  readonly log: Logger;
  readonly timers: Timers;
  readonly router: Router;
  readonly admission: Admission;
  /** A retained publish's answer waits until the store has its write (as an MQTT QoS 1 PUBACK does). */
  readonly store: BrokerStore;
  newSessionId(): string;
  /** Keep `message` as its topic's MQTT retained message (an empty payload clears it) and route it. */
  /** Returns the deliveries it made. */
  publishRetained(message: Message): number;
  /** A connection opened (the broker lists and counts it) and, later, ended. */
  opened(session: HttpPublishSession): void;
  gone(session: HttpPublishSession): void;
}

/** What every connection of one listener shares. */
export interface HttpListenerParts {
  readonly name: string;
  readonly options: HttpListenerOptions;
  /** The largest body read (maxHttpBodyBytes of options.maxMessageBytes). */
  readonly bodyLimit: number;
  readonly budget: BodyBudget;
  readonly gates: ListenerGates;
  /** The listener's vhosts, chosen from at each logon (by Host header, SNI, listener, user suffix); null without vhosts. */
  readonly vhosts: ListenerVhostGates | null;
  readonly ctx: HttpPublishContext;
  /** The key a logon is remembered under: a keyed hash of the Authorization header, '' without one. */
  credentialKey(header: string | undefined): string;
  forget(session: HttpPublishSession): void;
}
