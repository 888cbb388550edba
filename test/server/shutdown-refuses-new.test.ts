// While a broker shuts down and waits out shutdown.graceMs for its clients, a new WebSocket
// connection is refused (503) rather than accepted and closed moments later: a client failing
// over (the SDK's list of URLs, a cluster) goes to another node instead.
import { afterEach, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestBroker, TEST_TRANSPORT, type TestBroker } from '../helpers/broker.js';
import { openStalledSubscriber, type StalledClient } from '../helpers/stalled-client.js';

let broker: TestBroker | undefined;
let stalled: StalledClient | undefined;

afterEach(async () => {
  stalled?.socket.destroy();
  await broker?.close();
  broker = stalled = undefined;
});

/** What a new connection attempt gets: the HTTP status of a refused upgrade, `refused` for no listener, `accepted`. */
function attempt(url: string): Promise<number | 'refused' | 'accepted'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'warden.v1.json');
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('open', () => {
      ws.terminate();
      resolve('accepted');
    });
    ws.once('error', () => resolve('refused'));
  });
}

it('accepts no new WebSocket connection while it waits for its clients to close', async () => {
  broker = await startTestBroker({ shutdown: { graceMs: 20_000 } });
  const url = broker.url;
  // A client that never answers the close frame keeps a ws listener in its grace period (uWS
  // does not wait for the answer: its listener is gone at once, and new connections are refused).
  stalled = await openStalledSubscriber(url, 'news');
  const closing = broker.close();
  const outcome = await attempt(url);
  if (TEST_TRANSPORT === 'ws') expect(outcome).toBe(503);
  else expect(outcome === 503 || outcome === 'refused').toBe(true);
  stalled.socket.destroy();
  await closing;
});
