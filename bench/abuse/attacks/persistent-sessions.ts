// Attack 4: 3 persistent sessions of one user, each subscribed at QoS 1 and then offline,
// while 300 QoS 1 messages of the largest size the default MQTT listener accepts are published:
// every message is queued for every session.
import { configNumber, type Attack } from '../attack.js';
import { connectAccepted, subscribeMqtt } from '../mqtt-raw.js';
import { waitUntil } from '../wait.js';

const SESSIONS = 3;
const MESSAGES = 300;
const TOPIC = 'abuse/sess/big';
/** The default listener's maxPacketBytes (1 MiB) less the PUBLISH header, topic and packet id. */
const PAYLOAD_BYTES = 1_048_576 - 64;
const WINDOW = 8;

export const persistentSessionsAttack: Attack = {
  id: '4',
  name: '3 offline persistent sessions x 300 queued messages of 1 MiB',
  // The session byte caps (mqtt.sessions.maxQueuedBytes per session, maxBytes over all stored
  // sessions); before they existed nothing bounded queued bytes and this was 0.
  capBytes(config) {
    const perSession = configNumber(config, 'mqtt.sessions.maxQueuedBytes') * SESSIONS;
    const total = configNumber(config, 'mqtt.sessions.maxBytes');
    return perSession > 0 && total > 0 ? Math.min(perSession, total) : perSession + total;
  },
  async run(ctx) {
    const before = (await ctx.stats())?.connectionsOpen ?? 0;
    const sessionCodes: string[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const session = await connectAccepted({
        port: ctx.mqttPort,
        protocolVersion: 5,
        clientId: `offline-${i}`,
        clean: false,
        username: 'mallory',
        password: 'x',
        properties: { sessionExpiryInterval: 3_600 },
      });
      sessionCodes.push((await subscribeMqtt(session, 'abuse/sess/#', 1, 1)).join(','));
      session.send({ cmd: 'disconnect', reasonCode: 0 });
      session.destroy();
    }
    // Offline once the broker has counted the closes.
    await waitUntil(ctx, async () => ((await ctx.stats(2_000))?.connectionsOpen ?? Infinity) <= before, 5_000);
    const publisher = await connectAccepted({
      port: ctx.mqttPort,
      clientId: 'big-feeder',
      username: 'mallory',
      password: 'x',
      keepPackets: false,
    });
    const payload = Buffer.alloc(PAYLOAD_BYTES, 0x61);
    let sent = 0;
    while (sent < MESSAGES && publisher.isOpen) {
      if (!(await waitUntil(ctx, () => sent - publisher.count('puback') < WINDOW || !publisher.isOpen, 10_000, 5)))
        break;
      publisher.send({
        cmd: 'publish',
        topic: TOPIC,
        payload,
        qos: 1,
        messageId: (sent % 65_535) + 1,
        retain: false,
        dup: false,
      });
      sent++;
    }
    await waitUntil(ctx, () => publisher.count('puback') >= sent || !publisher.isOpen, 10_000);
    const stats = await ctx.stats();
    return {
      attackerGot: `SUBACK ${sessionCodes.join(' ')}; ${sent} sent, PUBACK ${publisher.ackSummary()}, ${publisher.endReason()}; mqttQueuedMessagesDropped ${stats?.mqttQueuedMessagesDropped ?? '?'}`,
      ownTarget: null,
      details: { sent, pubacks: publisher.count('puback'), stats },
    };
  },
};
