// The control clients that tell whether the broker still serves others: one subscriber connected
// before the attack and kept through it, and after the attack a fresh client that connects,
// subscribes, publishes at QoS 1 and must get its PUBACK, its own message, and the early
// subscriber the message too. They connect from 127.0.0.3, so per-host limits that an attacker on
// 127.0.0.1 trips are not what they test.
import { connectAccepted, subscribeMqtt, type RawMqtt } from './mqtt-raw.js';

const CONTROL_HOST = '127.0.0.3';
const CONTROL_TOPIC = 'control/abuse';

export interface ControlCredentials {
  user: string;
  password: string;
}

export async function openEarlySubscriber(port: number, credentials: ControlCredentials): Promise<RawMqtt> {
  const client = await connectAccepted({
    port,
    localAddress: CONTROL_HOST,
    clientId: 'control-early',
    username: credentials.user,
    password: credentials.password,
  });
  await subscribeMqtt(client, CONTROL_TOPIC, 1, 1);
  return client;
}

/** '' when the broker served the control clients, else what failed. */
export async function controlCheck(
  port: number,
  credentials: ControlCredentials,
  early: RawMqtt,
  timeoutMs: number,
): Promise<string> {
  let late: RawMqtt | null = null;
  try {
    const deadline = Date.now() + timeoutMs;
    const left = (): number => Math.max(1, deadline - Date.now());
    late = await connectAccepted(
      {
        port,
        localAddress: CONTROL_HOST,
        clientId: 'control-late',
        username: credentials.user,
        password: credentials.password,
      },
      left(),
    );
    await subscribeMqtt(late, CONTROL_TOPIC, 1, 1, left());
    const payload = Buffer.from(`control ${Date.now()}`);
    const earlyBefore = early.publishesReceived;
    late.send({ cmd: 'publish', topic: CONTROL_TOPIC, payload, qos: 1, messageId: 2, retain: false, dup: false });
    const puback = await late.waitFor((p) => p.cmd === 'puback' && p.messageId === 2, left());
    if (puback === null) return `control publish: no PUBACK (${late.endReason()})`;
    const own = await late.waitFor((p) => p.cmd === 'publish' && p.topic === CONTROL_TOPIC, left());
    if (own === null) return 'control subscriber after the attack got nothing';
    if (!early.isOpen) return `control subscriber from before the attack was disconnected (${early.endReason()})`;
    const seen = await early.waitFor(
      (p) => p.cmd === 'publish' && p.topic === CONTROL_TOPIC && Buffer.compare(p.payload as Buffer, payload) === 0,
      left(),
    );
    if (seen === null || early.publishesReceived === earlyBefore)
      return `control subscriber from before the attack got nothing (${early.endReason()})`;
    return '';
  } catch (err) {
    return `control client: ${(err as Error).message}`;
  } finally {
    late?.destroy();
  }
}
