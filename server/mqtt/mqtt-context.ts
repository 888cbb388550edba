// What an MQTT session needs from the broker beyond what every session does.
import type { SessionContext } from '../session/session-context.js';
import type { MqttSession } from './mqtt-session.js';
import type { RetainedStore } from './retained-store.js';
import type { DelayedWills } from './delayed-wills.js';
import type { SessionStore } from './session-store.js';
import type { SharedGroups } from './shared-groups.js';

export interface MqttContext extends SessionContext {
  /** Retained messages, shared by every MQTT listener. */
  readonly retained: RetainedStore;
  /** v5 wills waiting out their delay, by client id. */
  readonly delayedWills: DelayedWills;
  /** Persistent sessions whose clients are away. */
  readonly persistentSessions: SessionStore;
  /** v5 shared subscription groups ($share/...). */
  readonly sharedGroups: SharedGroups;
  /** mqtt.clientIdOwnership: `user`, a client id held by one user is refused to others (client-id-owner.ts); `any`, anyone takes it over. */
  readonly clientIdOwnership: 'user' | 'any';
  /** Register `session` under `clientId`; returns the session that held it before, if any ([MQTT-3.1.4-2]: it is taken over). */
  claimClientId(clientId: string, session: MqttSession): MqttSession | undefined;
  /** The live session holding `clientId`, if any (admission counts a takeover's old connection as gone). */
  clientSession(clientId: string): MqttSession | undefined;
  /** Forget `clientId` if `session` still holds it. */
  releaseClientId(clientId: string, session: MqttSession): void;
}
