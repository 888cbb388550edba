// MQTT 5 enhanced authentication (spec 4.12) over the authentication module's challenge flow:
//   CONNECT (Authentication Method M, Data: first message) -> module.authenticate(mechanism M)
//   challenge -> AUTH 0x18 (Data: challenge) ... client AUTH 0x18 (Data: answer) -> respond()
//   accept -> CONNACK 0x00 (Data: the accept's data, e.g. SCRAM's server-final-message).
import type { IConnectPacket } from 'mqtt-packet';
import type { Challenge, LogonAttempt } from '../gates/logon-gate.js';

/** Methods offered over MQTT (the module decides whether it can do them); others: CONNACK 0x8C. */
export const ENHANCED_AUTH_METHODS: ReadonlySet<string> = new Set(['SCRAM-SHA-256']);

/** One CONNECT being authenticated: what accepting it needs once the module answered. */
export class ConnectAttempt {
  constructor(
    readonly packet: IConnectPacket,
    readonly clientId: string,
    /** The client id was assigned by the broker (v5: told in CONNACK). */
    readonly assigned: boolean,
    /** The CONNECT's user name ('' when absent). */
    readonly user: string,
    /** The v5 Authentication Method, or null for user name and password. */
    readonly method: string | null,
    /** What the LogonGate was asked: an answer to a challenge continues it. */
    readonly logon: LogonAttempt,
  ) {}
}

/** A challenge sent in AUTH 0x18, waiting for the client's answer. */
export class PendingEnhancedAuth {
  constructor(
    readonly attempt: ConnectAttempt,
    readonly challenge: Challenge,
  ) {}
}
