// The MQTT side of a message crossing the cluster bus (cluster/cluster-router.ts): QoS, retain
// flag and v5 properties go with it, and come back as the message's MQTT attachment on the other
// node, so its MQTT subscribers get what they would have got from a local publisher.
import type { BusAdapter } from '../cluster/cluster-router.js';
import type { BusMqttFields } from '../cluster/bus-codec.js';
import type { Message } from '../delivery/message.js';
import { MqttMessage } from './mqtt-message.js';
import { propertiesOf, propertiesRecord } from './persisted-records.js';
import type { RetainedStore } from './retained-store.js';

export class MqttBusAdapter implements BusAdapter {
  constructor(private readonly retained: RetainedStore) {}

  fieldsOf(message: Message): BusMqttFields | null {
    const mqtt = MqttMessage.peek(message);
    if (mqtt === null) return null;
    return { qos: mqtt.qos, retain: mqtt.retain, properties: propertiesRecord(mqtt.properties) };
  }

  isRetained(message: Message): boolean {
    return MqttMessage.peek(message)?.retain === true;
  }

  attach(message: Message, fields: BusMqttFields): void {
    // No publisher here: no-local concerns the publishing client, which is on the other node.
    MqttMessage.attach(message, null, fields.qos, fields.retain, false, propertiesOf(fields.properties));
  }

  retainReplica(message: Message, fields: BusMqttFields): void {
    if (!message.payload.isBytes) return;
    const bytes = message.payload.bytes;
    const payload = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.retained.replicate(message.topic, payload, fields.qos, MqttMessage.peek(message)?.properties ?? null);
  }
}
