// uWebSockets.js listeners at the socket level: a port already taken is an error naming the
// listener and the address (uWS gives no errno), and peer addresses read as Node's sockets give them.
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle, type WardenConfigInput } from '../../server/index.js';
import { formatAddress } from '../../server/transports/uws/uws-connection.js';

const brokers: BrokerHandle[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const config = (port: number, name: string): WardenConfigInput => ({
  persistence: 'none',
  log: { level: 'silent' },
  admin: { enabled: false },
  listeners: [{ name, protocol: 'native', transport: 'uws', host: '127.0.0.1', port }],
});

it('refuses to start on a port another broker holds, naming the listener', async () => {
  const port = await freePort();
  brokers.push(await startBroker(config(port, 'first')));
  expect(brokers[0]!.listeners[0]).toMatchObject({ transport: 'uws', port, url: `ws://127.0.0.1:${port}/` });
  await expect(startBroker(config(port, 'second'))).rejects.toThrow(
    `listener "second" cannot listen on 127.0.0.1:${port}: uWebSockets.js could not bind it (address in use or not available)`,
  );
});

describe('formatAddress', () => {
  const bytes = (...b: number[]): ArrayBuffer => Uint8Array.from(b).buffer;
  it('writes IPv4 dotted, and IPv6 compressed as Node does', () => {
    expect(formatAddress(bytes(127, 0, 0, 1))).toBe('127.0.0.1');
    expect(formatAddress(bytes(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1))).toBe('::1');
    expect(formatAddress(bytes(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1))).toBe('::ffff:127.0.0.1');
    expect(formatAddress(bytes(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10))).toBe('2001:db8::10');
    expect(formatAddress(bytes())).toBe('');
  });
});
