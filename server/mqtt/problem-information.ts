// v5 Request Problem Information [MQTT-3.1.2-29]: a client that set it to 0 gets no Reason String
// on PUBACK, PUBREC, SUBACK and the like (CONNACK, DISCONNECT and PUBLISH may still carry one).
import type { MqttSession } from './mqtt-session.js';
import { reasonProperties } from './reason-codes.js';

/** The Reason String properties of a refusal, unless the client asked for no problem information. */
export function problem(session: MqttSession, reasonCode: number, text?: string): ReturnType<typeof reasonProperties> {
  return session.problemInformation ? reasonProperties(reasonCode, text) : {};
}
