// The MQTT codec side of one connection: bytes from the transport (TCP chunks or WebSocket binary
// frames) through one mqtt-packet parser to whole packets, the packet size limit, the keepalive
// timer, and packets out through mqtt-packet's generator. Knows nothing of sessions or security.
import mqttPacket, { type Packet } from 'mqtt-packet';
import type { TransportConnection, TransportHandler } from '../transports/transport.js';

export type ProtocolVersion = 3 | 4 | 5;

/** Why the connection stopped reading: the session decides what to tell the client. */
export type InputFault = 'malformed' | 'too-large' | 'unsupported-version';

/** What the session receives from its connection. */
export interface MqttPacketSink {
  onPacket(packet: Packet): void;
  onInputFault(fault: InputFault, detail: string): void;
  onKeepAliveTimeout(): void;
  onClose(): void;
}

type Parser = ReturnType<typeof mqttPacket.parser>;

/** Fixed header size for a remaining length (1 type byte + 1..4 length bytes). */
function wholePacketSize(remaining: number): number {
  return remaining + 1 + (remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4);
}

export class MqttConnection implements TransportHandler {
  private readonly parser: Parser;
  private sink: MqttPacketSink | null = null;
  private version: ProtocolVersion = 4;
  private readonly generateOptions: { protocolVersion: ProtocolVersion } = { protocolVersion: 4 };
  private keepAliveTimer: NodeJS.Timeout | null = null;
  /** Set once input is refused: nothing more is parsed. */
  private stopped = false;
  private closed = false;

  constructor(
    readonly transport: TransportConnection,
    private readonly maxPacketBytes: number,
  ) {
    this.parser = mqttPacket.parser({});
    this.parser.on('packet', onParserPacket.bind(this));
    this.parser.on('error', onParserError.bind(this));
  }

  get remoteAddress(): string {
    return this.transport.remoteAddress;
  }

  get protocolVersion(): ProtocolVersion {
    return this.version;
  }

  attach(sink: MqttPacketSink): void {
    this.sink = sink;
  }

  /** From CONNECT on, packets are parsed and generated for this version. */
  setProtocolVersion(version: ProtocolVersion): void {
    this.version = version;
    this.generateOptions.protocolVersion = version;
    (this.parser as unknown as { settings: { protocolVersion?: number } }).settings.protocolVersion = version;
  }

  /** [MQTT-3.1.2-24] close after 1.5 x keepalive seconds without a packet; 0 disables. */
  startKeepAlive(seconds: number): void {
    if (this.keepAliveTimer !== null) clearTimeout(this.keepAliveTimer);
    this.keepAliveTimer = null;
    if (seconds <= 0 || this.closed) return;
    this.keepAliveTimer = setTimeout(onKeepAliveExpired, seconds * 1500, this);
    this.keepAliveTimer.unref();
  }

  // ---- inbound (TransportHandler) ------------------------------------------------------------

  onMessage(data: Buffer, _isBinary: boolean): void {
    if (this.stopped) return;
    this.keepAliveTimer?.refresh();
    this.parser.parse(data);
    // A packet whose header announced more than the limit is refused before its body is buffered.
    const announced = (this.parser as unknown as { packet: { length: number } }).packet.length;
    if (!this.stopped && announced >= 0 && wholePacketSize(announced) > this.maxPacketBytes) {
      this.fault('too-large', `a packet of ${wholePacketSize(announced)} bytes; the limit is ${this.maxPacketBytes}`);
    }
  }

  onClose(_code: number, _reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.stopped = true;
    if (this.keepAliveTimer !== null) clearTimeout(this.keepAliveTimer);
    this.keepAliveTimer = null;
    this.sink?.onClose();
  }

  packetArrived(packet: Packet): void {
    if (this.stopped) return;
    const size = wholePacketSize(packet.length ?? 0);
    if (size > this.maxPacketBytes) return this.fault('too-large', `a packet of ${size} bytes; the limit is ${this.maxPacketBytes}`);
    this.sink?.onPacket(packet);
  }

  parseFailed(err: Error): void {
    if (this.stopped) return;
    this.fault(err.message === 'Invalid protocol version' ? 'unsupported-version' : 'malformed', err.message);
  }

  keepAliveExpired(): void {
    this.keepAliveTimer = null;
    if (!this.closed) this.sink?.onKeepAliveTimeout();
  }

  private fault(kind: InputFault, detail: string): void {
    this.stopped = true;
    this.sink?.onInputFault(kind, detail);
  }

  /** Stop parsing input (the session is closing). */
  stopReading(): void {
    this.stopped = true;
  }

  // ---- outbound ------------------------------------------------------------------------------

  /** Encode one packet (mqtt-packet) for this connection's protocol version. */
  encode(packet: Packet): Buffer {
    return mqttPacket.generate(packet, this.generateOptions);
  }

  send(packet: Packet): void {
    if (this.closed) return;
    this.transport.send(this.encode(packet), null);
  }

  sendEncoded(bytes: Buffer): void {
    if (this.closed) return;
    this.transport.send(bytes, null);
  }

  bufferedAmount(): number {
    return this.transport.bufferedAmount();
  }

  close(): void {
    this.stopped = true;
    if (this.keepAliveTimer !== null) clearTimeout(this.keepAliveTimer);
    this.keepAliveTimer = null;
    this.transport.close(1000, '');
  }

  pause(): void {
    this.transport.pause();
  }

  resume(): void {
    this.transport.resume();
  }
}

// Module-level listeners bound once per connection (no per-packet closures).
function onParserPacket(this: MqttConnection, packet: Packet): void {
  this.packetArrived(packet);
}

function onParserError(this: MqttConnection, err: Error): void {
  this.parseFailed(err);
}

function onKeepAliveExpired(connection: MqttConnection): void {
  connection.keepAliveExpired();
}
