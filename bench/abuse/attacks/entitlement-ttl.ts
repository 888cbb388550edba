// Attack 7: with entitlementCache.ttlMs 1000, a user revoked mid-run must lose read and
// write on an open connection once the cached answers expire. The policy module re-reads its file
// only on a reset, so the revocation comes from a small module file that denies `mallory` once a
// file named `revoked` exists beside the config: every check the broker makes after the TTL sees it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Attack } from '../attack.js';
import { connectAccepted, hex, subscribeMqtt, type RawMqtt } from '../mqtt-raw.js';
import { sleep } from '../wait.js';

const TTL_MS = 1_000;
const MODULE = `import { existsSync } from 'node:fs';
import { join } from 'node:path';
export default (options, context) => ({
  name: 'revocable',
  check: (request) => ({ allow: request.user !== 'mallory' || request.action === 'logon' || !existsSync(join(context.baseDir, 'revoked')) }),
});
`;

/** Publishes at QoS 1 and waits for the PUBACK's code (null: none). */
async function publish(client: RawMqtt, topic: string, messageId: number): Promise<number | null> {
  client.send({
    cmd: 'publish',
    topic,
    payload: Buffer.from(`m${messageId}`),
    qos: 1,
    messageId,
    retain: false,
    dup: false,
  });
  const ack = (await client.waitFor((p) => p.cmd === 'puback' && p.messageId === messageId, 5_000)) as {
    reasonCode?: number;
  } | null;
  return ack === null ? null : (ack.reasonCode ?? 0);
}

/** Whether `receiver` gets the message `payload` on `topic` within `ms`. */
async function receives(receiver: RawMqtt, topic: string, payload: string, ms: number): Promise<boolean> {
  return (
    (await receiver.waitFor((p) => p.cmd === 'publish' && p.topic === topic && String(p.payload) === payload, ms)) !==
    null
  );
}

export const entitlementTtlAttack: Attack = {
  id: '7',
  name: 'revoked user on an open connection, entitlementCache.ttlMs 1000',
  config(dir) {
    writeFileSync(join(dir, 'revocable.mjs'), MODULE);
    return { security: { entitlement: { module: './revocable.mjs' }, entitlementCache: { ttlMs: TTL_MS } } };
  },
  async run(ctx) {
    const mallory = await connectAccepted({
      port: ctx.mqttPort,
      protocolVersion: 5,
      clientId: 'mallory',
      username: 'mallory',
      password: 'x',
    });
    const carol = await connectAccepted({
      port: ctx.mqttPort,
      protocolVersion: 5,
      clientId: 'carol',
      username: 'carol',
      password: 'x',
    });
    await subscribeMqtt(mallory, 'abuse/ttl/#', 0, 1);
    await subscribeMqtt(carol, 'abuse/ttl/#', 0, 1);
    // Before the revocation: both ways work, and the answers are cached.
    const before = [await publish(mallory, 'abuse/ttl/m', 1), await publish(carol, 'abuse/ttl/c', 1)];
    const beforeOk =
      before.every((c) => c === 0) &&
      (await receives(carol, 'abuse/ttl/m', 'm1', 2_000)) &&
      (await receives(mallory, 'abuse/ttl/c', 'm1', 2_000));
    if (!beforeOk) return { attackerGot: `setup failed: PUBACK ${before.join(', ')}`, ownTarget: null };
    writeFileSync(join(ctx.dir, 'revoked'), '');
    await sleep(2 * TTL_MS);
    // After twice the TTL: the same topics again.
    const code = await publish(mallory, 'abuse/ttl/m', 2);
    const delivered = await receives(carol, 'abuse/ttl/m', 'm2', 1_000);
    await publish(carol, 'abuse/ttl/c', 2);
    await receives(carol, 'abuse/ttl/c', 'm2', 2_000);
    const received = await receives(mallory, 'abuse/ttl/c', 'm2', 300);
    const got = `after ${(2 * TTL_MS) / 1000} s: publish PUBACK ${code === null ? 'none' : hex(code)}${delivered ? ' and delivered' : ''}, ${received ? 'still receives' : 'receives nothing'}; ${mallory.endReason()}`;
    return {
      attackerGot: got,
      ownTarget: {
        met: !delivered && !received,
        expected: 'the revoked user neither publishes nor receives after 2 x TTL',
      },
      details: { pubackAfter: code, deliveredAfter: delivered, receivedAfter: received },
    };
  },
};
