// Attack 6: unfinished inbound QoS 2 exchanges: PUBLISH at QoS 2, take the PUBREC, never
// send PUBREL. Packet ids are 16 bits, so 100,000 take two connections of 50,000 each.
import mqttPacket from 'mqtt-packet';
import type { Attack } from '../attack.js';
import { connectAccepted, type RawMqtt } from '../mqtt-raw.js';
import { waitUntil } from '../wait.js';

const CONNECTIONS = 2;
const PER_CONNECTION = 50_000;
const WINDOW = 1_000;

async function flood(ctx: Parameters<Attack['run']>[0], client: RawMqtt, id: number): Promise<number> {
  let sent = 0;
  while (sent < PER_CONNECTION && client.isOpen) {
    if (!(await waitUntil(ctx, () => sent - client.count('pubrec') < WINDOW || !client.isOpen, 10_000, 5))) break;
    const batch: Buffer[] = [];
    for (let i = 0; i < 100 && sent < PER_CONNECTION; i++, sent++) {
      batch.push(
        mqttPacket.generate(
          {
            cmd: 'publish',
            topic: `abuse/qos2/${id}`,
            payload: Buffer.from('x'),
            qos: 2,
            messageId: sent + 1,
            retain: false,
            dup: false,
          },
          { protocolVersion: 5 },
        ),
      );
    }
    client.writeRaw(Buffer.concat(batch));
  }
  await waitUntil(ctx, () => client.count('pubrec') >= sent || !client.isOpen, 10_000);
  return sent;
}

export const inboundQos2Attack: Attack = {
  id: '6',
  name: '100,000 unfinished inbound QoS 2 (no PUBREL), v5',
  async run(ctx) {
    const clients: RawMqtt[] = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      clients.push(
        await connectAccepted({
          port: ctx.mqttPort,
          protocolVersion: 5,
          clientId: `qos2-${i}`,
          username: 'mallory',
          password: 'x',
          keepPackets: false,
        }),
      );
    }
    const sent = await Promise.all(clients.map((client, i) => flood(ctx, client, i)));
    const total = sent.reduce((a, b) => a + b, 0);
    return {
      attackerGot: `${total.toLocaleString('en-US')} sent, PUBREC ${clients.map((c) => c.ackSummary()).join(' / ')}; ${[...new Set(clients.map((c) => c.endReason()))].join(' / ')}`,
      ownTarget: {
        met: clients.every((c) => c.endReason() === 'DISCONNECT 0x93'),
        expected: 'DISCONNECT 0x93 (Receive Maximum exceeded)',
      },
      details: { sent, pubrecs: clients.map((c) => c.count('pubrec')) },
    };
  },
};
