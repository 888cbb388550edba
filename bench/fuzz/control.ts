// The control clients: one native (JSON) and one MQTT v5 connection, each subscribed to ctl/#,
// each publishing one message per check. A check passes when both got both messages, both are
// still connected, and a new connection on each protocol can still log on: the broker is alive
// and still delivering to others whatever the fuzz connections did.
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { WebSocket } from 'ws';
import { SUBPROTOCOLS } from '../../protocol/native.js';
import { CONTROL_USER } from './fuzz-config.js';

/** Upper bound for one check; a healthy broker answers in milliseconds even on a loaded machine. */
export const CHECK_TIMEOUT_MS = 20_000;

interface Frame {
  op?: string;
  rid?: number;
  topic?: string;
  data?: { seq?: number; via?: string };
}

/** A minimal native JSON client: requests by rid, deliveries to a callback. */
class NativeControl {
  private readonly pending = new Map<number, (frame: Frame) => void>();
  private nextRid = 1;

  private constructor(
    private readonly ws: WebSocket,
    onMessage: (frame: Frame) => void,
  ) {
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8')) as Frame;
      if (frame.op === 'msg') onMessage(frame);
      else if (frame.rid !== undefined) {
        this.pending.get(frame.rid)?.(frame);
        this.pending.delete(frame.rid);
      }
    });
  }

  static async open(url: string, onMessage: (frame: Frame) => void): Promise<NativeControl> {
    const ws = new WebSocket(url, SUBPROTOCOLS.json, { perMessageDeflate: false });
    ws.on('error', () => {}); // seen as a close
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('close', () => reject(new Error('the control connection closed before it opened')));
    });
    const client = new NativeControl(ws, onMessage);
    await client.request({ op: 'logon', user: CONTROL_USER, password: 'pw' });
    return client;
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  async request(command: Record<string, unknown>): Promise<Frame> {
    const rid = this.nextRid++;
    const answer = new Promise<Frame>((resolve) => this.pending.set(rid, resolve));
    this.ws.send(JSON.stringify({ ...command, rid }));
    const frame = await answer;
    if (frame.op !== 'ack') throw new Error(`control ${String(command.op)} refused: ${JSON.stringify(frame)}`);
    return frame;
  }

  close(): void {
    this.ws.terminate();
  }
}

export class Control {
  private seq = 0;
  /** What each subscriber has received: `${receiver}:${via}:${seq}`. */
  private readonly received = new Set<string>();
  private waiter: (() => void) | null = null;

  private constructor(
    private readonly target: { nativeUrl: string; mqttPort: number },
    private readonly native: NativeControl,
    private readonly mqttClient: MqttClient,
  ) {}

  static async start(target: { nativeUrl: string; mqttPort: number }): Promise<Control> {
    let control: Control | null = null;
    const record = (receiver: string, data: { seq?: number; via?: string } | undefined): void =>
      control?.record(receiver, data);
    const native = await NativeControl.open(target.nativeUrl, (frame) => record('native', frame.data));
    // A select list on the control subscription: the control path projects payloads too.
    await native.request({ op: 'subscribe', sid: 1, topic: 'ctl/#', select: '-/,+/seq,+/via' });
    const mqttClient = await mqtt.connectAsync(`mqtt://127.0.0.1:${target.mqttPort}`, {
      protocolVersion: 5,
      clientId: `warden-fuzz-control-${randomUUID()}`,
      username: CONTROL_USER,
      password: 'pw',
      reconnectPeriod: 0,
      connectTimeout: CHECK_TIMEOUT_MS,
    });
    mqttClient.on('error', () => {}); // seen as a disconnect in check()
    mqttClient.on('message', (_topic, payload) => {
      try {
        record('mqtt', JSON.parse(payload.toString('utf8')) as { seq?: number; via?: string });
      } catch {
        record('mqtt', undefined);
      }
    });
    await mqttClient.subscribeAsync('ctl/#', { qos: 1 });
    control = new Control(target, native, mqttClient);
    return control;
  }

  private record(receiver: string, data: { seq?: number; via?: string } | undefined): void {
    if (data?.seq === undefined || data.via === undefined) return;
    this.received.add(`${receiver}:${data.via}:${data.seq}`);
    this.waiter?.();
  }

  /** Null when the broker passed; else what failed. */
  async check(): Promise<string | null> {
    const seq = ++this.seq;
    const wanted = ['native', 'mqtt'].flatMap((receiver) =>
      ['native', 'mqtt'].map((via) => `${receiver}:${via}:${seq}`),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(
        () =>
          resolve(
            `control: not done within ${CHECK_TIMEOUT_MS} ms; got ${wanted.filter((w) => this.received.has(w)).join(', ') || 'nothing'} of ${wanted.join(', ')}`,
          ),
        CHECK_TIMEOUT_MS,
      );
    });
    const work = (async (): Promise<string | null> => {
      if (!this.native.open) return 'control: the native control connection was closed';
      if (!this.mqttClient.connected) return 'control: the MQTT control connection was closed';
      let done = (): void => {};
      const delivered = new Promise<void>((resolve) => (done = resolve));
      const waiter = (): void => {
        if (wanted.every((w) => this.received.has(w))) done();
      };
      this.waiter = waiter;
      await this.native.request({ op: 'publish', topic: 'ctl/native', data: { seq, via: 'native', px: 1 }, ack: true });
      await this.mqttClient.publishAsync('ctl/mqtt', JSON.stringify({ seq, via: 'mqtt', px: 1 }), { qos: 1 });
      waiter();
      await delivered;
      for (const w of wanted) this.received.delete(w);
      // New connections still get in.
      const fresh = await NativeControl.open(this.target.nativeUrl, () => {});
      fresh.close();
      const freshMqtt = await mqtt.connectAsync(`mqtt://127.0.0.1:${this.target.mqttPort}`, {
        protocolVersion: 4,
        clientId: `warden-fuzz-probe-${randomUUID()}`,
        username: CONTROL_USER,
        password: 'pw',
        reconnectPeriod: 0,
        connectTimeout: CHECK_TIMEOUT_MS,
      });
      await freshMqtt.endAsync(true);
      return null;
    })().catch((err: unknown) => `control: ${(err as Error).message}`);
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
      this.waiter = null;
    }
  }

  async close(): Promise<void> {
    this.native.close();
    await this.mqttClient.endAsync(true);
  }
}
