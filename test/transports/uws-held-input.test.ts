// uWebSockets.js (this build) cannot stop reading one socket, so while a session has paused its
// connection the uws transport holds what arrives, up to twice the listener's hard message limit;
// a peer that sends past that is closed with 1008 (on ws, TCP backpressure would hold it back).
import { afterAll, afterEach, expect, it } from 'vitest';
import { CloseCodes } from '../../protocol/native.js';
import { startBroker, type BrokerHandle } from '../../server/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { moduleDir } from '../helpers/module-files.js';

const modules = moduleDir();
afterAll(() => modules.remove());
let broker: BrokerHandle;
afterEach(async () => broker.close());

const neverAnswers = modules.write(
  'never.mjs',
  `export default () => ({ name: 'never', authenticate: () => new Promise(() => {}) });`,
);

it('closes a peer that keeps sending while its commands wait, past the held-input bound', async () => {
  broker = await startBroker({
    log: { level: 'silent' },
    persistence: 'none',
    admin: { enabled: false },
    security: { authentication: { module: neverAnswers }, moduleTimeoutMs: 300_000 },
    // Hard limit 4 x 256 bytes, so at most 2,048 bytes are held.
    listeners: [
      {
        name: 'native',
        protocol: 'native',
        transport: 'uws',
        host: '127.0.0.1',
        port: 0,
        options: { maxFrameBytes: 256, maxSendQueueBytes: 1024 },
      },
    ],
  });
  expect(broker.listeners[0]!.transport).toBe('uws');
  const c = await RawClient.open(broker.listeners[0]!.url, 'json');
  c.send({ op: 'logon', rid: 0, user: 'u' });
  // 256 commands park in the session, then it pauses the connection; 100 more (~2.5 KB) pass the bound.
  for (let rid = 1; rid <= 356; rid++) c.send({ op: 'ping', rid });
  expect(await c.closed).toEqual({
    code: CloseCodes.POLICY_VIOLATION,
    reason: 'too much input while earlier commands wait',
  });
  expect(c.frames).toEqual([]);
});
