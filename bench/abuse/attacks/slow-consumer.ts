// Attack 3: an MQTT v5 subscriber with Receive Maximum 1 that never sends PUBACK, fed
// 200,000 QoS 1 publishes with empty payloads on a 900-byte topic: everything but the first waits
// in the broker. And the v5 CONNECT values the spec makes protocol errors (Receive Maximum 0,
// Maximum Packet Size 0), which must be refused.
import mqttPacket from 'mqtt-packet';
import { configNumber, type Attack } from '../attack.js';
import { connectAccepted, connectMqtt, hex, subscribeMqtt } from '../mqtt-raw.js';
import { waitUntil } from '../wait.js';

const MESSAGES = 200_000;
const TOPIC = `abuse/slow/${'x'.repeat(889)}`;
/** Publishes sent and not yet PUBACKed by the broker. */
const WINDOW = 1_000;

const slowConsumer: Attack = {
  id: '3a',
  name: 'v5 Receive Maximum 1, no PUBACK, 200,000 QoS 1 on 900-byte topics',
  capBytes: (config) => configNumber(config, 'listeners.1.options.maxSendQueueBytes'),
  async run(ctx) {
    // Counts deliveries without keeping them, and never acknowledges one.
    const victim = await connectAccepted({
      port: ctx.mqttPort,
      protocolVersion: 5,
      clientId: 'slow',
      username: 'mallory',
      password: 'x',
      properties: { receiveMaximum: 1 },
      keepPackets: false,
    });
    await subscribeMqtt(victim, 'abuse/slow/#', 1, 1);
    const publisher = await connectAccepted({
      port: ctx.mqttPort,
      clientId: 'slow-feeder',
      username: 'mallory',
      password: 'x',
      keepPackets: false,
    });
    const acked = (): number => publisher.count('puback');
    let sent = 0;
    while (sent < MESSAGES && publisher.isOpen && ctx.alive()) {
      if (sent - acked() >= WINDOW) {
        await waitUntil(ctx, () => sent - acked() < WINDOW / 2 || !publisher.isOpen, 10_000, 5);
        if (sent - acked() >= WINDOW) break;
        continue;
      }
      const batch: Buffer[] = [];
      for (let i = 0; i < 100 && sent < MESSAGES; i++, sent++) {
        batch.push(
          mqttPacket.generate({
            cmd: 'publish',
            topic: TOPIC,
            payload: Buffer.alloc(0),
            qos: 1,
            messageId: (sent % 65_535) + 1,
            retain: false,
            dup: false,
          }),
        );
      }
      publisher.writeRaw(Buffer.concat(batch));
    }
    await waitUntil(ctx, () => acked() >= sent || !publisher.isOpen, 10_000);
    return {
      attackerGot: `${sent.toLocaleString('en-US')} sent, PUBACK ${publisher.ackSummary()}; subscriber got ${victim.publishesReceived}, ${victim.endReason()}`,
      ownTarget: null,
      details: {
        sent,
        publisherAcked: acked(),
        delivered: victim.publishesReceived,
        subscriberEnd: victim.endReason(),
      },
    };
  },
};

function refusedConnect(id: string, name: string, properties: Record<string, number>): Attack {
  return {
    id,
    name,
    async run(ctx) {
      const { client, code } = await connectMqtt(
        {
          port: ctx.mqttPort,
          protocolVersion: 5,
          clientId: `zero-${id}`,
          username: 'mallory',
          password: 'x',
          properties,
        },
        5_000,
      );
      await client.waitClosed(2_000);
      const got =
        code === null ? client.endReason() : `CONNACK ${hex(code)}${client.isOpen ? ', connection kept' : ''}`;
      client.destroy();
      return { attackerGot: got, ownTarget: { met: code !== 0, expected: 'CONNECT refused (a protocol error)' } };
    },
  };
}

export const slowConsumerAttacks: Attack[] = [
  slowConsumer,
  refusedConnect('3b', 'v5 CONNECT with Receive Maximum 0', { receiveMaximum: 0 }),
  refusedConnect('3c', 'v5 CONNECT with Maximum Packet Size 0', { maximumPacketSize: 0 }),
];
