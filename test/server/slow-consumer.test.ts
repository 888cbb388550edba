// A subscriber that stops reading is disconnected once its send queue passes the bound, while
// other subscribers keep receiving every message in order.
import { afterEach, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { openStalledSubscriber } from '../helpers/stalled-client.js';

let tb: TestBroker;
afterEach(async () => tb.close());

it('disconnects a subscriber that stops reading without hurting the others', async () => {
  const maxSendQueueBytes = 256 * 1024;
  tb = await startTestBroker({ listener: { maxSendQueueBytes, maxFrameBytes: 64 * 1024 } });
  const stalled = await openStalledSubscriber(tb.url, 'feed');
  const healthy = await RawClient.logon(tb.url, 'msgpack');
  await healthy.request({ op: 'subscribe', rid: 1, sid: 1, topic: 'feed' });
  const publisher = await RawClient.logon(tb.url, 'msgpack');

  // Publish in acked batches until the broker gives up on the stalled client. Kernel socket
  // buffers absorb the first few MB, so the bound is a count, not a guess at buffer sizes.
  const payload = 'x'.repeat(16 * 1024);
  const maxMessages = 4000; // 64 MB: far beyond any loopback socket buffer
  let sent = 0;
  while (tb.broker.stats().slowConsumerDisconnects === 0 && sent < maxMessages) {
    for (let i = 0; i < 50; i++) publisher.send({ op: 'publish', topic: 'feed', data: { seq: sent++, payload } });
    await publisher.request({ op: 'ping', rid: sent });
  }
  expect(tb.broker.stats().slowConsumerDisconnects).toBe(1);
  // Let the stalled client read again: it drains what the kernel held and then sees the broker hang up.
  stalled.socket.resume();
  await stalled.closed;

  // The healthy subscriber got everything, in order.
  const got = await healthy.messages(sent);
  expect(got.map((m) => (m.data as { seq: number }).seq)).toEqual(Array.from({ length: sent }, (_, i) => i));
  // The broker let go of the stalled connection (its close ran while the checks above made round trips).
  await publisher.request({ op: 'ping', rid: -1 >>> 1 });
  expect(tb.broker.connectionCount).toBe(2);
  await healthy.close();
  await publisher.close();
}, 60_000);
