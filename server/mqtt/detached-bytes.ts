// Held messages (in-flight windows, queues, kept sessions, the retained store) must not pin memory
// their byte limits (held-bytes.ts) do not count: a parsed payload or Correlation Data is a view of
// the network chunk it arrived in.
const EMPTY = Buffer.alloc(0);

/** A view may leave this much of its store unused before it is copied out. */
const SLACK_BYTES = 256;

/**
 * `bytes` itself when it owns about what it holds, else a copy. An inbound payload is a view of the
 * socket read it arrived in (up to 64 KiB, or a whole large packet): held for a client, a 10-byte
 * payload would keep the whole read alive, far more than is counted for it.
 *
 * Idempotent, so every holder may call it: a copy under 4 KiB comes from Node's shared 8 KiB pool
 * (as every small Buffer does; messageHeldBytes counts it at 2.5 times its length, measured) and
 * views of stores no larger than the pool are left as they are; a larger copy owns its store. A
 * buffer of its own for small copies (Buffer.allocUnsafeSlow) would cost several times as much per
 * copy (~0.7 us against ~0.1 us), a fifth of the broker's whole cost per QoS 1 message.
 */
export function detached(bytes: Buffer): Buffer {
  const length = bytes.length;
  if (length === 0) return EMPTY;
  const store = bytes.buffer.byteLength;
  if (store <= Buffer.poolSize || store - length <= SLACK_BYTES) return bytes;
  return Buffer.from(bytes);
}
