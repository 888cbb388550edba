// Attack 9: 400 MQTT CONNECTs with unknown user names from 127.0.0.1 at once (each costs
// the `users` module a scrypt check), and meanwhile one legitimate logon from 127.0.0.2, timed from
// its CONNECT to its CONNACK.
import type { Attack } from '../attack.js';
import { connectMqtt, hex, openMqtt, type RawMqtt } from '../mqtt-raw.js';
import { hashPassword } from '../../../server/security/authentication/password-hash.js';

const FLOOD = 400;
const TARGET_MS = 1_000;

export const logonFloodAttack: Attack = {
  id: '9',
  name: '400 CONNECTs, unknown users, from 127.0.0.1; alice from 127.0.0.2',
  control: { user: 'control', password: 'control' },
  async config() {
    return {
      security: {
        authentication: {
          module: 'users',
          options: {
            users: [
              { name: 'alice', hash: await hashPassword('alice-secret') },
              { name: 'control', hash: await hashPassword('control') },
            ],
          },
        },
      },
    };
  },
  async run(ctx) {
    const flood: Promise<RawMqtt>[] = [];
    for (let i = 0; i < FLOOD; i++)
      flood.push(openMqtt({ port: ctx.mqttPort, clientId: `flood-${i}`, username: `nobody-${i}`, password: 'guess' }));
    const attackers = await Promise.all(flood);
    const started = performance.now();
    const { client: alice, code } = await connectMqtt(
      {
        port: ctx.mqttPort,
        localAddress: '127.0.0.2',
        protocolVersion: 5,
        clientId: 'alice',
        username: 'alice',
        password: 'alice-secret',
      },
      30_000,
    );
    const aliceMs = performance.now() - started;
    alice.destroy();
    // Every flood connection answered (or closed), bounded.
    const answers = await Promise.all(
      attackers.map(
        async (a) =>
          (await a.waitFor((p) => p.cmd === 'connack', 30_000)) as { returnCode?: number; reasonCode?: number } | null,
      ),
    );
    const codes = new Map<string, number>();
    answers.forEach((connack, i) => {
      const key =
        connack === null ? attackers[i]!.endReason() : `CONNACK ${hex(connack.returnCode ?? connack.reasonCode ?? 0)}`;
      codes.set(key, (codes.get(key) ?? 0) + 1);
      attackers[i]!.destroy();
    });
    const aliceGot = code === null ? `no CONNACK (${alice.endReason()})` : `CONNACK ${hex(code)}`;
    return {
      attackerGot: `${[...codes].map(([what, n]) => `${n}x ${what}`).join(', ')}; alice: ${aliceGot} in ${Math.round(aliceMs)} ms`,
      ownTarget: {
        met: code === 0 && aliceMs < TARGET_MS,
        expected: `alice's logon from 127.0.0.2 accepted in under ${TARGET_MS} ms`,
      },
      details: { codes: Object.fromEntries(codes), aliceCode: code, aliceMs },
    };
  },
};
