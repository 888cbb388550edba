// Kept messages (retained, queued for an absent client) must not pin memory their byte limits do
// not count: a parsed payload or Correlation Data is a view of the network chunk it arrived in.
import { PublishProperties } from './publish-properties.js';
import { OutgoingPublish } from './outbound.js';

/**
 * `bytes` itself when it owns about what it holds, else a copy. A parsed payload or Correlation
 * Data is a view of the network chunk it arrived in (up to 64 KiB, or a whole large packet): kept
 * for hours as a view, a 1-byte payload would keep the whole chunk alive, uncounted. Views of
 * Node's 8 KiB allocation pool stay as they are.
 */
export function detached(bytes: Buffer): Buffer {
  return bytes.buffer.byteLength > 2 * bytes.length + 8192 ? Buffer.from(bytes) : bytes;
}

/** `out`, or a copy of it whose payload and Correlation Data are detached() (for a message kept while its client is away). */
export function detachedPublish(out: OutgoingPublish): OutgoingPublish {
  const payload = detached(out.payload);
  const data = out.properties?.passed?.correlationData;
  const keptData = data === undefined ? undefined : detached(data);
  if (payload === out.payload && keptData === data) return out;
  let properties = out.properties;
  if (properties !== null && keptData !== data) properties = new PublishProperties(properties.expiresAt, properties.userProperties, { ...properties.passed, correlationData: keptData });
  return new OutgoingPublish(out.topic, payload, out.qos, out.subscriptionIds, out.retain, properties);
}
