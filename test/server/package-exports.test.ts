// The published entry points resolve by package name (self-reference through package.json
// "exports", as an installed user would import them) and work together.
import { createRequire } from 'node:module';
import { expect, it } from 'vitest';
import { assertTestTransport, TEST_TRANSPORT } from '../helpers/broker.js';

it('imports warden-broker/server and warden-broker/client by name and round-trips a message', async () => {
  const { startBroker } = await import('warden-broker/server');
  const { connect, WardenError } = await import('warden-broker/client');
  const broker = await startBroker({
    log: { level: 'silent' },
    persistence: 'none',
    admin: { enabled: false },
    listeners: [{ name: 'native', protocol: 'native', transport: TEST_TRANSPORT, host: '127.0.0.1', port: 0 }],
  });
  assertTestTransport(broker);
  try {
    const client = await connect(broker.listeners[0]!.url, { user: 'alice', password: 'pw', encoding: 'json' });
    let resolveData!: (data: unknown) => void;
    const received = new Promise<unknown>((resolve) => (resolveData = resolve));
    await client.subscribe({ topic: 'orders/+' }, (msg) => resolveData(msg.data));
    const sub = await client.subscribe({ regex: '^orders/(na|eu)$' }, () => {});
    await client.publish('orders/na', { px: 101 }, { ack: true });
    expect(await received).toEqual({ px: 101 });
    await sub.unsubscribe();
    await expect(client.subscribe({ regex: '(a' })).rejects.toBeInstanceOf(WardenError);
    await client.close();
  } finally {
    await broker.close();
  }
});

it("requires warden-broker/client from CommonJS: the SDK package's CommonJS build under both names", async () => {
  // Node's own require, as a CommonJS program would load it (not the test runner's resolver).
  const require = createRequire(import.meta.url);
  const sdk = require('@warden-broker/client') as typeof import('@warden-broker/client');
  const reexported = require('warden-broker/client') as typeof import('@warden-broker/client');
  expect(typeof sdk.connect).toBe('function');
  expect(reexported.connect).toBe(sdk.connect);
  expect(reexported.WardenError).toBe(sdk.WardenError);
  // And `import` of either name is the package's ES module build: one module under two names.
  const [imported, importedSdk] = await Promise.all([import('warden-broker/client'), import('@warden-broker/client')]);
  expect(imported.connect).toBe(importedSdk.connect);
});
