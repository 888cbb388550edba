// Splits an MQTT byte stream (TCP chunks, or WebSocket messages) into whole packets by their fixed
// header (spec 2.1): one type/flags byte and a 1-4 byte Remaining Length. Knowing a packet's size
// from its header lets the connection refuse an oversized packet before its body is buffered, and
// hand each whole packet to the decoder as a view of the chunk it arrived in (no copy unless it
// spans chunks).

export interface FrameSink {
  /** The next packet will be `wholeBytes` long (header included); false stops framing. */
  onAnnounced(wholeBytes: number): boolean;
  /** A whole packet: buf[start, end), its variable header starting at `bodyStart`; false stops framing. */
  onFrame(buf: Buffer, start: number, end: number, bodyStart: number): boolean;
  /** A Remaining Length longer than 4 bytes [MQTT-1.5.5]: `rest` is the stream from that packet on. */
  onMalformedLength(rest: Buffer): void;
}

const NEED_HEADER = -1;

export class PacketFramer {
  /** Bytes of a packet not yet complete, in arrival order; null (no array per idle connection) when none. */
  private parts: Buffer[] | null = null;
  private partBytes = 0;
  /** The whole size of the incomplete packet once its header has arrived, else NEED_HEADER. */
  private needed = NEED_HEADER;

  constructor(private readonly sink: FrameSink) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.partBytes > 0) {
      const parts = this.parts!;
      parts.push(chunk);
      this.partBytes += chunk.length;
      if (this.needed !== NEED_HEADER && this.partBytes < this.needed) return;
      buf = Buffer.concat(parts, this.partBytes);
      this.parts = null;
      this.partBytes = 0;
      this.needed = NEED_HEADER;
    }
    const length = buf.length;
    let pos = 0;
    while (pos < length) {
      // Remaining Length (spec 1.5.5): 7 bits per byte, continuation in the top bit, at most 4 bytes.
      let remaining = 0;
      let multiplier = 1;
      let at = pos + 1;
      let complete = false;
      while (at < length && at <= pos + 4) {
        const byte = buf[at++]!;
        remaining += (byte & 0x7f) * multiplier;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
        multiplier *= 128;
      }
      if (!complete) {
        if (at > pos + 4) return this.sink.onMalformedLength(buf.subarray(pos));
        break; // the header itself is not all here yet
      }
      const whole = at - pos + remaining;
      if (!this.sink.onAnnounced(whole)) return;
      if (length - pos < whole) {
        this.needed = whole;
        break;
      }
      if (!this.sink.onFrame(buf, pos, pos + whole, at)) return;
      pos += whole;
    }
    if (pos < length) {
      const rest = buf.subarray(pos);
      this.parts = [rest];
      this.partBytes = rest.length;
    }
  }
}
