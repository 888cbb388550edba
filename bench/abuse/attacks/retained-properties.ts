// Attack 5: 300 retained MQTT v5 messages on distinct topics, each with a 1-byte payload and
// about 900 KB of user properties, which a store that counts payload bytes only keeps in full.
import { configNumber, type Attack } from '../attack.js';
import { connectAccepted } from '../mqtt-raw.js';
import { waitUntil } from '../wait.js';

const MESSAGES = 300;
/** 900 properties of 1,000 bytes each: about 900 KB, under the default 1 MiB packet size. */
function userProperties(): Record<string, string[]> {
  const value = 'v'.repeat(990);
  return { p: Array.from({ length: 900 }, () => value) };
}

export const retainedPropertiesAttack: Attack = {
  id: '5',
  name: '300 retained v5 messages, 1-byte payload + 900 KB user properties',
  capBytes: (config) => configNumber(config, 'mqtt.retained.maxBytes'),
  async run(ctx) {
    const publisher = await connectAccepted({
      port: ctx.mqttPort,
      protocolVersion: 5,
      clientId: 'retainer',
      username: 'mallory',
      password: 'x',
      keepPackets: false,
    });
    const properties = { userProperties: userProperties() };
    let sent = 0;
    while (sent < MESSAGES && publisher.isOpen) {
      if (!(await waitUntil(ctx, () => sent - publisher.count('puback') < 8 || !publisher.isOpen, 10_000, 5))) break;
      publisher.send({
        cmd: 'publish',
        topic: `abuse/retained/${sent}`,
        payload: Buffer.from('x'),
        qos: 1,
        messageId: sent + 1,
        retain: true,
        dup: false,
        properties,
      });
      sent++;
    }
    await waitUntil(ctx, () => publisher.count('puback') >= sent || !publisher.isOpen, 10_000);
    const stats = await ctx.stats();
    return {
      attackerGot: `${sent} sent, PUBACK ${publisher.ackSummary()}, ${publisher.endReason()}; mqttRetainedRefused ${stats?.mqttRetainedRefused ?? '?'}`,
      ownTarget: null,
      details: { sent, pubacks: publisher.count('puback'), stats },
    };
  },
};
