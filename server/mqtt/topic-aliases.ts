// MQTT 5 topic aliases a client uses in its PUBLISH packets (spec 3.3.2.3.4): at most the Topic
// Alias Maximum the broker advertised in CONNACK (listener option topicAliasMaximum), per
// connection, forgotten when the connection ends [MQTT-3.3.2-7].
import type { IPublishPacket } from 'mqtt-packet';
import { ReasonCodes } from './reason-codes.js';

/** Why an alias cannot be used: a DISCONNECT reason code and what to log. */
export class AliasRefusal {
  constructor(
    readonly reasonCode: number,
    readonly detail: string,
  ) {}
}

export class InboundTopicAliases {
  /** Created on the first alias: most clients never use one. */
  private topics: Map<number, string> | null = null;

  constructor(private readonly maximum: number) {}

  /** The PUBLISH's topic: as sent (remembered under its alias, if any), or the alias's. */
  resolve(packet: IPublishPacket): string | AliasRefusal {
    const alias = packet.properties?.topicAlias;
    if (alias === undefined) return packet.topic;
    // [MQTT-3.3.2-8, 3.3.2-9] 0, or above the maximum we advertised.
    if (alias === 0 || alias > this.maximum)
      return new AliasRefusal(ReasonCodes.TOPIC_ALIAS_INVALID, `topic alias ${alias} outside 1..${this.maximum}`);
    if (packet.topic !== '') {
      (this.topics ??= new Map()).set(alias, packet.topic);
      return packet.topic;
    }
    const known = this.topics?.get(alias);
    if (known === undefined)
      return new AliasRefusal(ReasonCodes.PROTOCOL_ERROR, `topic alias ${alias} has no topic yet`);
    return known;
  }
}
