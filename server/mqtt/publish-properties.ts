// The MQTT 5 PUBLISH properties that travel with a message from an MQTT publisher (a PUBLISH or
// a will) to MQTT 5 subscribers: the Message Expiry Interval (as an absolute deadline, so every
// copy counts down from the publish), User Properties, and the request/response and payload
// description properties, passed unchanged. Native receivers do not get them (docs/mqtt.md).
import type { IPublishPacket, UserProperties } from 'mqtt-packet';
import { detached } from './detached-bytes.js';

type PublishPacketProperties = NonNullable<IPublishPacket['properties']>;

/** Properties passed to v5 receivers as they came (spec 3.3.2.3.3, 3.3.2.3.5, 3.3.2.3.6, 3.3.2.3.9). */
export type PassedProperties = Pick<
  PublishPacketProperties,
  'payloadFormatIndicator' | 'contentType' | 'responseTopic' | 'correlationData'
>;

/** What a PUBLISH or a v5 will carries of these (both have the same fields). */
export type SourceProperties = PassedProperties &
  Pick<PublishPacketProperties, 'messageExpiryInterval' | 'userProperties'>;

export class PublishProperties {
  /** Bytes these properties hold, computed on first need (held-bytes.ts); -1 until then. */
  heldBytes = -1;

  constructor(
    /** Epoch ms after which the message is not sent (v5 Message Expiry Interval), or null. */
    readonly expiresAt: number | null,
    readonly userProperties: UserProperties | null,
    /** Payload Format Indicator, Content Type, Response Topic, Correlation Data: only those present. */
    readonly passed: PassedProperties | null = null,
  ) {}

  /** The properties of an inbound PUBLISH (or a will being published), or null when it has none worth keeping. */
  static of(props: SourceProperties | undefined, now: number): PublishProperties | null {
    if (props === undefined) return null;
    const expiry = props.messageExpiryInterval;
    const user = props.userProperties;
    const userProperties = user !== undefined && Object.keys(user).length > 0 ? user : null;
    const passed = passedOf(props);
    if (expiry === undefined && userProperties === null && passed === null) return null;
    return new PublishProperties(expiry === undefined ? null : now + expiry * 1000, userProperties, passed);
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

/** The passed properties `props` has (a PUBLISH's, a will's, a stored record's), or null when none. */
export function passedOf(props: PassedProperties): PassedProperties | null {
  let passed: PassedProperties | null = null;
  if (props.payloadFormatIndicator !== undefined) (passed ??= {}).payloadFormatIndicator = props.payloadFormatIndicator;
  if (props.contentType !== undefined) (passed ??= {}).contentType = props.contentType;
  if (props.responseTopic !== undefined) (passed ??= {}).responseTopic = props.responseTopic;
  // A view of the packet's socket chunk: copied, since the message may be held (held-bytes.ts).
  if (props.correlationData !== undefined) (passed ??= {}).correlationData = detached(props.correlationData);
  return passed;
}
