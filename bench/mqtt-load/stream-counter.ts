// A minimal streaming reader of MQTT 3.1.1 packets for the load generator's receiving side.
// It walks the fixed header and remaining length of each packet and skips the body, allocating
// nothing per packet: it counts packets by type, and for PUBLISH packets reads the timestamp at a
// fixed offset from the payload's start or end (bench/load/stamp.ts; the generator stamps only a
// sampled subset, the others hold "not sampled" there) and queues a PUBACK for QoS 1 deliveries
// when asked to.
// Packets split across reads and several packets per read are both handled: a PUBLISH whose body
// is wholly in the current chunk is read in place; otherwise its first bytes (up to `scratchBytes`)
// are copied into a fixed scratch buffer as they arrive and read when the packet is complete (a
// stamp counted from the payload's end needs the whole body in the scratch buffer).
import { readStamp, type StampFormat } from '../load/stamp.js';

const PUBLISH = 3;
const PUBACK = 4;

const enum State {
  Header,
  Length,
  Body,
}

export interface StreamCounterOptions {
  /** Byte offset of a binary (float64 LE) timestamp from the start of a PUBLISH payload (default 0). */
  stampOffset?: number;
  /** Or any stamp format (wins over `stampOffset`). */
  stamp?: StampFormat;
  /** Called with each non-zero timestamp read from a PUBLISH payload. */
  onSample?: (stamp: number) => void;
  /** Queue a PUBACK for every QoS 1 PUBLISH received (collect with `takeAcks`). */
  ackQos1?: boolean;
  /** How many leading body bytes of a split PUBLISH are kept to find the stamp (topic + id + stamp). */
  scratchBytes?: number;
}

export class MqttStreamCounter {
  /** Packets seen, by MQTT packet type (index 3 = PUBLISH, 4 = PUBACK, 2 = CONNACK, 9 = SUBACK...). */
  readonly counts = new Float64Array(16);
  /** PUBLISH packets whose payload carried a timestamp. */
  stamped = 0;
  /** PUBLISH packets where no well-formed stamp could be read (a payload of another shape). */
  unreadable = 0;

  private readonly stamp: StampFormat;
  private readonly onSample: ((stamp: number) => void) | undefined;
  private readonly ackQos1: boolean;
  private readonly scratch: Buffer;

  private state = State.Header;
  private type = 0;
  private flags = 0;
  private length = 0;
  private multiplier = 1;
  private bodyLen = 0;
  private bodyLeft = 0;
  private scratchLen = 0;
  private acks = Buffer.alloc(4 * 1024);
  private ackLen = 0;

  constructor(options: StreamCounterOptions = {}) {
    this.stamp = options.stamp ?? { kind: 'binary', offset: options.stampOffset ?? 0 };
    this.onSample = options.onSample;
    this.ackQos1 = options.ackQos1 ?? false;
    this.scratch = Buffer.alloc(options.scratchBytes ?? 256);
  }

  get publishes(): number {
    return this.counts[PUBLISH]!;
  }

  get pubacks(): number {
    return this.counts[PUBACK]!;
  }

  feed(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.state === State.Header) {
        const first = chunk[i++]!;
        this.type = first >> 4;
        this.flags = first & 0x0f;
        this.length = 0;
        this.multiplier = 1;
        this.state = State.Length;
        continue;
      }
      if (this.state === State.Length) {
        const b = chunk[i++]!;
        this.length += (b & 0x7f) * this.multiplier;
        if ((b & 0x80) !== 0) {
          this.multiplier *= 128;
          if (this.multiplier > 128 * 128 * 128) throw new Error('malformed MQTT remaining length');
          continue;
        }
        this.bodyLen = this.length;
        this.bodyLeft = this.length;
        if (this.bodyLen === 0) {
          this.counts[this.type]!++;
          this.state = State.Header;
          continue;
        }
        if (this.type === PUBLISH && n - i >= this.bodyLen) {
          // Fast path: the whole body is in this chunk.
          this.inspectPublish(chunk, i, this.bodyLen);
          i += this.bodyLen;
          this.counts[PUBLISH]!++;
          this.state = State.Header;
          continue;
        }
        this.scratchLen = 0;
        this.state = State.Body;
        continue;
      }
      // State.Body: consume what this chunk has of the body.
      const take = Math.min(this.bodyLeft, n - i);
      if (this.type === PUBLISH && this.scratchLen < this.scratch.length) {
        const copy = Math.min(take, this.scratch.length - this.scratchLen);
        chunk.copy(this.scratch, this.scratchLen, i, i + copy);
        this.scratchLen += copy;
      }
      i += take;
      this.bodyLeft -= take;
      if (this.bodyLeft === 0) {
        if (this.type === PUBLISH) this.inspectPublish(this.scratch, 0, this.scratchLen);
        this.counts[this.type]!++;
        this.state = State.Header;
      }
    }
  }

  /** The PUBACKs queued since the last call, as one buffer to write, or null when none. */
  takeAcks(): Buffer | null {
    if (this.ackLen === 0) return null;
    const out = Buffer.from(this.acks.subarray(0, this.ackLen));
    this.ackLen = 0;
    return out;
  }

  /** `avail` bytes of the PUBLISH body start at `start` in `buf` (all of it, or its first bytes). */
  private inspectPublish(buf: Buffer, start: number, avail: number): void {
    if (avail < 2) return;
    const qos = (this.flags >> 1) & 3;
    let pos = start + 2 + buf.readUInt16BE(start);
    const end = start + avail;
    if (qos > 0) {
      if (pos + 2 > end) return;
      if (qos === 1 && this.ackQos1) this.queueAck(buf[pos]!, buf[pos + 1]!);
      pos += 2;
    }
    // Counted from the end, the stamp is only where the format says when the whole body is here.
    if (this.stamp.offset < 0 && avail < this.bodyLen) {
      this.unreadable++;
      return;
    }
    const stamp = readStamp(buf, pos, end, this.stamp);
    if (stamp !== 0) {
      if (Number.isNaN(stamp)) {
        this.unreadable++;
        return;
      }
      this.stamped++;
      this.onSample?.(stamp);
    }
  }

  private queueAck(hi: number, lo: number): void {
    if (this.ackLen + 4 > this.acks.length) {
      const bigger = Buffer.alloc(this.acks.length * 2);
      this.acks.copy(bigger, 0, 0, this.ackLen);
      this.acks = bigger;
    }
    const a = this.acks;
    const k = this.ackLen;
    a[k] = 0x40;
    a[k + 1] = 0x02;
    a[k + 2] = hi;
    a[k + 3] = lo;
    this.ackLen = k + 4;
  }
}
