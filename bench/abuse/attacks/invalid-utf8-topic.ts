// Attack 11: an MQTT PUBLISH whose topic name is not valid UTF-8 (0xC3 0x28), over v3.1.1
// and v5. The spec makes it a malformed packet: the connection must be closed, nothing delivered.
import type { Attack } from '../attack.js';
import { connectAccepted, subscribeMqtt } from '../mqtt-raw.js';
import { waitUntil } from '../wait.js';

/** A QoS 0 PUBLISH for `abuse/<0xC3 0x28>` with payload "x", built by hand (encoders refuse the topic). */
export function invalidTopicPublish(version: 4 | 5): Buffer {
  const topic = Buffer.concat([Buffer.from('abuse/'), Buffer.from([0xc3, 0x28])]);
  const properties = version === 5 ? Buffer.from([0]) : Buffer.alloc(0);
  const body = Buffer.concat([
    Buffer.from([topic.length >> 8, topic.length & 0xff]),
    topic,
    properties,
    Buffer.from('x'),
  ]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

export const invalidUtf8TopicAttack: Attack = {
  id: '11',
  name: 'MQTT PUBLISH with an invalid UTF-8 topic (v3.1.1 and v5)',
  async run(ctx) {
    const watcher = await connectAccepted({
      port: ctx.mqttPort,
      clientId: 'utf8-watcher',
      username: 'walter',
      password: 'x',
    });
    await subscribeMqtt(watcher, 'abuse/#', 0, 1);
    const ends: string[] = [];
    for (const version of [4, 5] as const) {
      const attacker = await connectAccepted({
        port: ctx.mqttPort,
        protocolVersion: version,
        clientId: `utf8-${version}`,
        username: 'mallory',
        password: 'x',
      });
      attacker.writeRaw(invalidTopicPublish(version));
      await attacker.waitClosed(2_000);
      ends.push(`v${version === 4 ? '3.1.1' : '5'}: ${attacker.endReason()}`);
      attacker.destroy();
    }
    await waitUntil(ctx, () => watcher.publishesReceived > 0, 300);
    const delivered = watcher.publishesReceived;
    return {
      attackerGot: `${ends.join('; ')}; delivered ${delivered}x`,
      ownTarget: {
        met: delivered === 0 && ends.every((e) => !e.endsWith('connection kept')),
        expected: 'connection closed, nothing delivered',
      },
      details: { ends, delivered },
    };
  },
};
