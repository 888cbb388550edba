// What an MQTT session needs from the broker beyond what every session does.
import type { AdmissionTicket } from '../admission/admission.js';
import type { SessionContext } from '../session/session-context.js';
import type { RetainedStore } from './retained-store.js';
import type { DelayedWills } from './delayed-wills.js';
import type { SessionStore } from './session-store.js';
import type { SharedGroups } from './shared-groups.js';
import type { TimeoutWheel } from '../timeout-wheel.js';
import type { BrokerStore } from '../store/store.js';
import type { SessionRecords } from '../store/redis-store.js';
import type { ClusterClients } from './cluster-clients.js';

/** A live connection as the client-id registry knows it (MqttSession). */
export interface ClientIdHolder {
  /** The user it logged on as (null before its logon). */
  readonly user: string | null;
  /** Its admission ticket (null until admitted): a takeover's old connection counts as gone. */
  readonly admission: AdmissionTicket | null;
  /** Another connection CONNECTed with its client id [MQTT-3.1.4-2]: it is closed. */
  takenOver(): void;
}

export interface MqttContext extends SessionContext {
  /** The broker's store: a QoS 1/2 acknowledgement waits for the writes its publish made (whenDurable). */
  readonly store: BrokerStore;
  /** Retained messages, shared by every MQTT listener. */
  readonly retained: RetainedStore;
  /** v5 wills waiting out their delay, by client id. */
  readonly delayedWills: DelayedWills;
  /** Persistent sessions whose clients are away. */
  readonly persistentSessions: SessionStore;
  /** v5 shared subscription groups ($share/...). */
  readonly sharedGroups: SharedGroups;
  /** The CONNECT timeouts and keepalives of every MQTT connection (one timer, not one per connection). */
  readonly timeouts: TimeoutWheel;
  /** mqtt.clientIdOwnership: `user`, a client id held by one user is refused to others (client-id-owner.ts); `any`, anyone takes it over. */
  readonly clientIdOwnership: 'user' | 'any';
  /** Register `session` under `clientId`; returns the session that held it before, if any ([MQTT-3.1.4-2]: it is taken over). */
  claimClientId(clientId: string, session: ClientIdHolder): ClientIdHolder | undefined;
  /** The live session holding `clientId`, if any (admission counts a takeover's old connection as gone). */
  clientSession(clientId: string): ClientIdHolder | undefined;
  /** Forget `clientId` if `session` still holds it. */
  releaseClientId(clientId: string, session: ClientIdHolder): void;
  /** In a cluster: client ids are taken cluster-wide (cluster-clients.ts); null otherwise. */
  readonly cluster: ClusterClients | null;
  /** A kept session another node let go, read from the shared store: kept here now. False when a bound refused it. */
  adoptSession(records: SessionRecords): boolean;
}
