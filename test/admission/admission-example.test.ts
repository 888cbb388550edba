// config/examples/admission.yaml: netconfd-pro's session example on ws://127.0.0.1:8800/
// with allow-any. Loaded as shipped, started with its port overridden to 0, and every rule
// checked through real connections.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../protocol/native.js';
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../../server/config/index.js';
import { startBroker, type BrokerHandle } from '../../server/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { TEST_TRANSPORT, assertTestTransport } from '../helpers/broker.js';

const EXAMPLE = join(DEFAULT_CONFIG_PATH, '..', 'examples', 'admission.yaml');

let broker: BrokerHandle | null = null;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await broker?.close();
  broker = null;
});

async function logon(user: string): Promise<Record<string, unknown>> {
  const client = await RawClient.open(broker!.listeners[0]!.url, 'msgpack');
  clients.push(client);
  return client.request({ op: 'logon', rid: 1, user, password: 'anything' });
}

async function admitted(user: string, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) expect(await logon(user)).toMatchObject({ op: 'ack', user });
}

async function refused(user: string): Promise<unknown> {
  return (await logon(user)).code;
}

describe('config/examples/admission.yaml', () => {
  it("is netconfd-pro's session example: the listener, the module, the allowed users and the limits", () => {
    const config = loadConfigFile(EXAMPLE, {});
    expect(config.listeners).toMatchObject([
      { name: 'native', protocol: 'native', host: '127.0.0.1', port: 8800, path: '/' },
    ]);
    expect(config.listeners).toHaveLength(1);
    expect(config.security.authentication).toEqual({ module: 'allow-any', options: {} });
    expect(config.admission).toMatchObject({
      allowedUsers: ['admin1', 'admin2', 'admin3', 'guest1', 'guest2'],
      maxConnections: 32,
      userLimits: { enabled: true, default: 10, unlimited: ['admin1'], users: { guest1: 1, guest2: 1 } },
    });
  });

  describe('started with port 0', () => {
    async function start(): Promise<void> {
      const config = loadConfigFile(EXAMPLE, {});
      broker = await startBroker({
        ...config,
        log: { level: 'silent' },
        persistence: 'none',
        listeners: config.listeners.map((l) =>
          l.protocol === 'native' ? { ...l, port: 0, transport: TEST_TRANSPORT } : { ...l, port: 0 },
        ),
      });
      assertTestTransport(broker);
      expect(broker.listeners[0]!.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    }

    it('admits only the five users', async () => {
      await start();
      for (const user of ['admin1', 'admin2', 'admin3', 'guest1', 'guest2']) await admitted(user);
      for (const user of ['admin4', 'guest', 'root']) expect(await refused(user)).toBe(ErrorCodes.USER_NOT_ALLOWED);
    });

    it('guest1 and guest2: one connection each', async () => {
      await start();
      await admitted('guest1');
      await admitted('guest2');
      expect(await refused('guest1')).toBe(ErrorCodes.CONNECTION_LIMIT);
      expect(await refused('guest2')).toBe(ErrorCodes.CONNECTION_LIMIT);
    });

    it('admin2 and admin3: ten each by default', async () => {
      await start();
      await admitted('admin2', 10);
      await admitted('admin3', 10);
      expect(await refused('admin2')).toBe(ErrorCodes.CONNECTION_LIMIT);
      expect(await refused('admin3')).toBe(ErrorCodes.CONNECTION_LIMIT);
    });

    it('admin1 is unlimited, up to 32 connections in all', async () => {
      await start();
      await admitted('guest1');
      await admitted('admin2', 10);
      await admitted('admin1', 21);
      expect(broker!.admission.counts().connections).toBe(32);
      expect(await refused('admin1')).toBe(ErrorCodes.CONNECTION_LIMIT);
      expect(await refused('admin3')).toBe(ErrorCodes.CONNECTION_LIMIT);
      expect(broker!.admission.counts().users).toEqual({ guest1: 1, admin2: 10, admin1: 21 });
    });
  });
});
