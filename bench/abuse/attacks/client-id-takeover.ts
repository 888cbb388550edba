// Attack 8: user bob connects, again and again, with the client id of alice's persistent
// session (she is online, with a will). Each accepted takeover disconnects her, drops her session
// and publishes her will; a watcher counts the wills.
import type { Attack } from '../attack.js';
import { connectAccepted, connectMqtt, hex, subscribeMqtt, type RawMqtt } from '../mqtt-raw.js';
import { sleep } from '../wait.js';

const ROUNDS = 10;
const CLIENT_ID = 'alice-phone';

function connectAlice(port: number): Promise<RawMqtt> {
  return connectAccepted({
    port,
    protocolVersion: 5,
    clientId: CLIENT_ID,
    clean: false,
    username: 'alice',
    password: 'x',
    properties: { sessionExpiryInterval: 3_600 },
    will: { topic: 'abuse/wills/alice', payload: Buffer.from('alice is gone'), qos: 0, retain: false },
  });
}

export const clientIdTakeoverAttack: Attack = {
  id: '8',
  name: "another user connects with alice's client id, 10 times",
  async run(ctx) {
    const watcher = await connectAccepted({
      port: ctx.mqttPort,
      clientId: 'will-watcher',
      username: 'walter',
      password: 'x',
    });
    await subscribeMqtt(watcher, 'abuse/wills/#', 0, 1);
    let alice = await connectAlice(ctx.mqttPort);
    const codes = new Map<string, number>();
    let victimDisconnects = 0;
    for (let round = 0; round < ROUNDS; round++) {
      if (!alice.isOpen) alice = await connectAlice(ctx.mqttPort);
      const { client: bob, code } = await connectMqtt(
        { port: ctx.mqttPort, protocolVersion: 5, clientId: CLIENT_ID, username: 'bob', password: 'x' },
        5_000,
      );
      const key = code === null ? `no CONNACK (${bob.endReason()})` : `CONNACK ${hex(code)}`;
      codes.set(key, (codes.get(key) ?? 0) + 1);
      if (code === 0) {
        // An accepted takeover ends alice's connection: wait for it, bounded.
        if (await alice.waitClosed(2_000)) victimDisconnects++;
      } else if (await alice.waitClosed(100)) victimDisconnects++;
      bob.destroy();
    }
    // Wills go out as the connections end; give the last one a moment.
    await sleep(300);
    const wills = watcher.publishesReceived;
    const got = `${[...codes].map(([what, n]) => `${n}x ${what}`).join(', ')}; victim disconnected ${victimDisconnects}x (${alice.isOpen ? 'connected now' : alice.endReason()}), her will published ${wills}x`;
    return {
      attackerGot: got,
      ownTarget: {
        met: victimDisconnects === 0 && wills === 0 && (codes.get('CONNACK 0x85') ?? 0) === ROUNDS,
        expected: 'every takeover refused (CONNACK 0x85), the victim kept',
      },
      details: { codes: Object.fromEntries(codes), victimDisconnects, wills },
    };
  },
};
