// A raw MQTT client for attacks: a net socket to 127.0.0.x, packets encoded with mqtt-packet,
// every packet from the broker kept in order, and how the connection ended. It answers nothing on
// its own (no PUBACK, no PINGREQ): the attacker decides.
import { connect as netConnect, type Socket } from 'node:net';
import mqttPacket, { type IConnectPacket, type Packet } from 'mqtt-packet';

export interface RawMqttOptions {
  port: number;
  /** Source address (127.0.0.1 unless a test of per-host behaviour needs another). */
  localAddress?: string;
  protocolVersion?: 4 | 5;
  clientId?: string;
  username?: string;
  password?: string;
  keepalive?: number;
  clean?: boolean;
  will?: IConnectPacket['will'];
  properties?: IConnectPacket['properties'];
  /** Keep every packet received (default true); false keeps only CONNACK, SUBACK and DISCONNECT and counts the rest. */
  keepPackets?: boolean;
}

const KEPT_ALWAYS = new Set<Packet['cmd']>(['connack', 'suback', 'disconnect']);

export class RawMqtt {
  readonly packets: Packet[] = [];
  /** Packets received, by type. */
  readonly received = new Map<Packet['cmd'], number>();
  /** Reason codes of the PUBACKs and PUBRECs received (0 for v3.1.1), with their counts. */
  readonly ackCodes = new Map<number, number>();
  /** Why the connection ended ('' while open). */
  endedBy = '';
  readonly closed: Promise<void>;
  private readonly waiters = new Set<(p: Packet) => void>();
  private readonly version: 4 | 5;

  constructor(
    readonly socket: Socket,
    version: 4 | 5,
    private readonly keepPackets: boolean,
  ) {
    this.version = version;
    const parser = mqttPacket.parser({ protocolVersion: version });
    parser.on('packet', (packet: Packet) => this.onPacket(packet));
    parser.on('error', (err: Error) => {
      this.endedBy ||= `unparsable packet from the broker: ${err.message}`;
      socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.endedBy ||= `socket error ${err.code ?? err.message}`;
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.endedBy ||= 'socket closed by the broker';
        resolve();
      }),
    );
  }

  get isOpen(): boolean {
    return !this.socket.destroyed;
  }

  send(packet: Packet): boolean {
    return this.socket.write(mqttPacket.generate(packet, { protocolVersion: this.version }));
  }

  writeRaw(bytes: Buffer): boolean {
    return this.socket.write(bytes);
  }

  /** Resolves with the first packet (already received or coming) that passes `test`; null on close or timeout. */
  waitFor(test: (p: Packet) => boolean, timeoutMs: number): Promise<Packet | null> {
    const seen = this.packets.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    if (!this.isOpen) return Promise.resolve(null);
    return new Promise((resolve) => {
      const done = (p: Packet | null): void => {
        if (!this.waiters.delete(onPacket)) return;
        clearTimeout(timer);
        resolve(p);
      };
      const onPacket = (p: Packet): void => {
        if (test(p)) done(p);
      };
      this.waiters.add(onPacket);
      const timer = setTimeout(() => done(null), timeoutMs);
      void this.closed.then(() => done(null));
    });
  }

  waitForCmd(cmd: Packet['cmd'], timeoutMs: number): Promise<Packet | null> {
    return this.waitFor((p) => p.cmd === cmd, timeoutMs);
  }

  /** Waits until the socket closes or timeoutMs passes; true if it closed. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      this.closed.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** A short description of how the broker ended this connection (a DISCONNECT's reason code, else endedBy). */
  endReason(): string {
    const disconnect = this.packets.find((p) => p.cmd === 'disconnect') as { reasonCode?: number } | undefined;
    if (disconnect !== undefined) return `DISCONNECT ${hex(disconnect.reasonCode ?? 0)}`;
    return this.endedBy || 'nothing (connection kept)';
  }

  get publishesReceived(): number {
    return this.count('publish');
  }

  count(cmd: Packet['cmd']): number {
    return this.received.get(cmd) ?? 0;
  }

  /** The acks' reason codes for the report, e.g. `300x 0x00`. */
  ackSummary(): string {
    return [...this.ackCodes].map(([code, n]) => `${n}x ${hex(code)}`).join(', ') || 'none';
  }

  private onPacket(packet: Packet): void {
    this.received.set(packet.cmd, this.count(packet.cmd) + 1);
    if (packet.cmd === 'puback' || packet.cmd === 'pubrec') {
      const code = packet.reasonCode ?? 0;
      this.ackCodes.set(code, (this.ackCodes.get(code) ?? 0) + 1);
    }
    if (packet.cmd === 'disconnect')
      this.endedBy ||= `DISCONNECT ${hex((packet as { reasonCode?: number }).reasonCode ?? 0)}`;
    if (this.keepPackets || KEPT_ALWAYS.has(packet.cmd)) this.packets.push(packet);
    for (const waiter of [...this.waiters]) waiter(packet);
  }
}

/** Opens a socket and sends CONNECT; does not wait for the CONNACK (see connectMqtt). */
export async function openMqtt(options: RawMqttOptions): Promise<RawMqtt> {
  const socket = netConnect({
    host: '127.0.0.1',
    port: options.port,
    localAddress: options.localAddress ?? '127.0.0.1',
    noDelay: true,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const version = options.protocolVersion ?? 4;
  const client = new RawMqtt(socket, version, options.keepPackets ?? true);
  const connectPacket: IConnectPacket = {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: version,
    clientId: options.clientId ?? '',
    clean: options.clean ?? true,
    keepalive: options.keepalive ?? 0,
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: Buffer.from(options.password) }),
    ...(options.will === undefined ? {} : { will: options.will }),
    ...(options.properties === undefined ? {} : { properties: options.properties }),
  };
  client.send(connectPacket);
  return client;
}

/** Connects and waits for the CONNACK: returns the client and the CONNACK's code (null: none came). */
export async function connectMqtt(
  options: RawMqttOptions,
  timeoutMs = 10_000,
): Promise<{ client: RawMqtt; code: number | null }> {
  const client = await openMqtt(options);
  const connack = (await client.waitForCmd('connack', timeoutMs)) as {
    reasonCode?: number;
    returnCode?: number;
  } | null;
  const code = connack === null ? null : (connack.reasonCode ?? connack.returnCode ?? 0);
  return { client, code };
}

/** Connects and throws unless the CONNACK accepts. */
export async function connectAccepted(options: RawMqttOptions, timeoutMs = 10_000): Promise<RawMqtt> {
  const { client, code } = await connectMqtt(options, timeoutMs);
  if (code !== 0) {
    client.destroy();
    throw new Error(
      `CONNACK ${code === null ? `never came (${client.endedBy})` : hex(code)} for ${options.username ?? ''}/${options.clientId ?? ''}`,
    );
  }
  return client;
}

/** Subscribes and waits for the SUBACK; returns its granted codes. */
export async function subscribeMqtt(
  client: RawMqtt,
  topic: string,
  qos: 0 | 1 | 2,
  messageId: number,
  timeoutMs = 10_000,
): Promise<number[]> {
  client.send({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos }] });
  const suback = (await client.waitFor((p) => p.cmd === 'suback' && p.messageId === messageId, timeoutMs)) as {
    granted?: number[];
  } | null;
  if (suback === null) throw new Error(`no SUBACK for ${topic} (${client.endedBy})`);
  return suback.granted ?? [];
}

export function hex(code: number): string {
  return `0x${code.toString(16).padStart(2, '0').toUpperCase()}`;
}
