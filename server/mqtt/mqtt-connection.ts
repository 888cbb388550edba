// The MQTT codec side of one connection: bytes from the transport (TCP chunks or WebSocket binary
// frames) split into whole packets (PacketFramer), plain PUBLISHes and acknowledgements decoded on
// the fast path and every other packet by the shared mqtt-packet parser, the packet size limit, the keepalive timer, and
// packets out through mqtt-packet's generator. Knows nothing of sessions or security.
import mqttPacket, { type Packet } from 'mqtt-packet';
import type { TransportConnection, TransportHandler } from '../transports/transport.js';
import { PacketFramer, type FrameSink } from './packet-framer.js';
import { decodePlainAck, decodePlainPublish } from './publish-decoder.js';
import { decodePlainConnect } from './connect-decoder.js';
import { PacketProtocolError, sharedParser, type ParseSettings } from './packet-parser.js';
import type { TimeoutWheel, WheelEntry } from '../timeout-wheel.js';

export type ProtocolVersion = 3 | 4 | 5;

/** Why the connection stopped reading: the session decides what to tell the client. */
export type InputFault = 'malformed' | 'protocol-error' | 'too-large' | 'unsupported-version';

/** What the session receives from its connection. */
export interface MqttPacketSink {
  onPacket(packet: Packet): void;
  onInputFault(fault: InputFault, detail: string): void;
  onKeepAliveTimeout(): void;
  onClose(): void;
  /** An unexpected error while handling this connection's input or timer: the session logs, counts and closes. Must not throw. */
  onInternalError(err: unknown, where: string): void;
}

const CONNECT_TYPE = 1;
const PUBLISH_TYPE = 3;

// mqtt-packet otherwise builds, on its first generate(), a cache of 65,536 two-byte buffers (about
// 6 MiB of heap) to save one tiny allocation per packet id; the hot packets are encoded here.
(mqttPacket.writeToStream as unknown as { cacheNumbers: boolean }).cacheNumbers = false;

// Parse and generate settings per protocol version, shared by every connection rather than two
// objects each (the parser and generator only read them).
const GENERATE_OPTIONS: Record<ProtocolVersion, { protocolVersion: ProtocolVersion }> = {
  3: { protocolVersion: 3 },
  4: { protocolVersion: 4 },
  5: { protocolVersion: 5 },
};
const PARSE_SETTINGS: Record<ProtocolVersion, ParseSettings> = {
  3: { protocolVersion: 3 },
  4: { protocolVersion: 4 },
  5: { protocolVersion: 5 },
};
const BRIDGE_PARSE_SETTINGS: Record<ProtocolVersion, ParseSettings> = {
  3: { protocolVersion: 3, bridgeMode: true },
  4: { protocolVersion: 4, bridgeMode: true },
  5: { protocolVersion: 5, bridgeMode: true },
};

export class MqttConnection implements TransportHandler, FrameSink, WheelEntry {
  private readonly framer = new PacketFramer(this);
  private sink: MqttPacketSink | null = null;
  private version: ProtocolVersion = 4;
  private generateOptions = GENERATE_OPTIONS[4];
  private parseSettings = PARSE_SETTINGS[4];
  /** 1.5 x the keepalive in ms, 0 while none runs; its deadline is on the shared wheel (WheelEntry). */
  private keepAliveMs = 0;
  wheelDue = 0;
  wheelPrev: WheelEntry | null = null;
  wheelNext: WheelEntry | null = null;
  /** Set once input is refused: nothing more is parsed. */
  private stopped = false;
  private closed = false;

  constructor(
    readonly transport: TransportConnection,
    private readonly maxPacketBytes: number,
    private readonly wheel: TimeoutWheel,
  ) {}

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
    this.generateOptions = GENERATE_OPTIONS[version];
    this.parseSettings = (this.parseSettings.bridgeMode === true ? BRIDGE_PARSE_SETTINGS : PARSE_SETTINGS)[version];
  }

  /**
   * [MQTT-3.1.2-24] close after 1.5 x keepalive seconds without a packet; 0 disables. On the shared
   * wheel: it fires at most one wheel slot (500 ms) late, never early (docs/mqtt.md).
   */
  startKeepAlive(seconds: number): void {
    this.wheel.cancel(this);
    this.keepAliveMs = 0;
    if (seconds <= 0 || this.closed) return;
    this.keepAliveMs = seconds * 1500;
    this.wheel.schedule(this, this.keepAliveMs);
  }

  // ---- inbound (TransportHandler) ------------------------------------------------------------

  /** A socket event (entry point): whatever parsing or handling these bytes throws closes this connection only. */
  onMessage(data: Buffer, _isBinary: boolean): void {
    if (this.stopped) return;
    if (this.keepAliveMs !== 0) this.wheel.extend(this, this.keepAliveMs);
    try {
      this.framer.push(data);
    } catch (err) {
      this.stopped = true;
      this.sink?.onInternalError(err, 'input');
    }
  }

  // ---- framing (FrameSink) -------------------------------------------------------------------

  /** A packet whose header announces more than the limit is refused before its body is buffered. */
  onAnnounced(wholeBytes: number): boolean {
    if (this.stopped) return false;
    if (wholeBytes <= this.maxPacketBytes) return true;
    this.fault('too-large', `a packet of ${wholeBytes} bytes; the limit is ${this.maxPacketBytes}`);
    return false;
  }

  onFrame(buf: Buffer, start: number, end: number, bodyStart: number): boolean {
    const v5 = this.version === 5;
    const type = buf[start]! >> 4;
    const fast =
      type === PUBLISH_TYPE
        ? decodePlainPublish(buf, start, end, bodyStart, v5)
        : type >= 4 && type <= 7
          ? decodePlainAck(buf, start, end, v5)
          : type === CONNECT_TYPE
            ? decodePlainConnect(buf, start, end, bodyStart)
            : null;
    const packet = fast ?? sharedParser.parse(buf.subarray(start, end), this.parseSettings);
    if (packet instanceof Error) {
      this.parseFailed(packet);
      return false;
    }
    // A v3 bridge's CONNECT changes how its SUBSCRIBE options parse.
    if (packet.cmd === 'connect' && (packet as { bridgeMode?: boolean }).bridgeMode === true)
      this.parseSettings = BRIDGE_PARSE_SETTINGS[this.version];
    this.packetArrived(packet);
    return !this.stopped;
  }

  onMalformedLength(_rest: Buffer): void {
    this.fault('malformed', 'Invalid variable byte integer: the Remaining Length is longer than 4 bytes');
  }

  onClose(_code: number, _reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.stopped = true;
    this.stopKeepAlive();
    this.sink?.onClose();
  }

  /** A whole packet; its size was checked against the limit from its header (onAnnounced). */
  packetArrived(packet: Packet): void {
    if (this.stopped) return;
    this.sink?.onPacket(packet);
  }

  parseFailed(err: Error): void {
    if (this.stopped) return;
    const kind =
      err instanceof PacketProtocolError
        ? 'protocol-error'
        : err.message === 'Invalid protocol version'
          ? 'unsupported-version'
          : 'malformed';
    this.fault(kind, err.message);
  }

  /** The keepalive deadline passed (the wheel's timer: an entry point, contains its errors). */
  onWheelTimeout(): void {
    this.keepAliveMs = 0;
    if (this.closed) return;
    try {
      this.sink?.onKeepAliveTimeout();
    } catch (err) {
      this.sink?.onInternalError(err, 'keepalive timer');
    }
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
    this.stopKeepAlive();
    this.transport.close(1000, '');
  }

  private stopKeepAlive(): void {
    this.keepAliveMs = 0;
    this.wheel.cancel(this);
  }

  get pausesReading(): boolean {
    return this.transport.pausesReading;
  }

  pause(): void {
    this.transport.pause();
  }

  resume(): void {
    this.transport.resume();
  }
}
