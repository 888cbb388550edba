// The MQTT 5 PUBLISH properties that travel with a message from an MQTT publisher to MQTT
// subscribers: the Message Expiry Interval (as an absolute deadline, so every copy counts down
// from the publish) and User Properties. Native receivers do not get them (docs/mqtt.md).
import type { IPublishPacket, UserProperties } from 'mqtt-packet';

export class PublishProperties {
  constructor(
    /** Epoch ms after which the message is not sent (v5 Message Expiry Interval), or null. */
    readonly expiresAt: number | null,
    readonly userProperties: UserProperties | null,
  ) {}

  /** The properties of an inbound PUBLISH, or null when it has none worth keeping. */
  static of(packet: IPublishPacket, now: number): PublishProperties | null {
    const props = packet.properties;
    if (props === undefined) return null;
    const expiry = props.messageExpiryInterval;
    const user = props.userProperties;
    const userProperties = user !== undefined && Object.keys(user).length > 0 ? user : null;
    if (expiry === undefined && userProperties === null) return null;
    return new PublishProperties(expiry === undefined ? null : now + expiry * 1000, userProperties);
  }

  isExpired(now: number): boolean {
    return this.expiresAt !== null && now >= this.expiresAt;
  }

  /** Whole seconds left, at least 1 while not expired (v5: sent as the remaining Message Expiry Interval). */
  remainingSec(now: number): number {
    if (this.expiresAt === null) return 0;
    const left = Math.ceil((this.expiresAt - now) / 1000);
    return left > 1 ? left : 1;
  }
}
