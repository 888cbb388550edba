// config/examples/tls.yaml as shipped (ports made ephemeral), with the certificates `npm run
// certs:dev` would write generated into a temp copy of its directory: each of its listeners in use.
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, ClientErrorCodes, type Client, type Message } from '../../client/index.js';
import { loadConfigFile, MemoryStore, startBroker, type BrokerHandle } from '../../server/index.js';
import { generateDevCertificates, type DevCertificates } from '../../scripts/lib/dev-certificates.js';
import { MqttClients } from '../mqtt/mqtt-helpers.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { LogSink, pem, urlOf } from './tls-fixture.js';

const EXAMPLES = join(import.meta.dirname, '../../config/examples');
const dir = makeTempDir('warden-tls-example-');
let certs: DevCertificates;
let broker: BrokerHandle;
const clients: Client[] = [];
const mqttClients = new MqttClients();

beforeAll(async () => {
  // The example's relative paths (certs/..., policy.yaml) resolve in the copy's directory.
  certs = await generateDevCertificates(join(dir.path, 'certs'));
  copyFileSync(join(EXAMPLES, 'policy.yaml'), join(dir.path, 'policy.yaml'));
  const config = parse(readFileSync(join(EXAMPLES, 'tls.yaml'), 'utf8')) as {
    listeners: { port: number }[];
    admin: { port: number };
  };
  for (const listener of config.listeners) listener.port = 0;
  config.admin.port = 0;
  writeFileSync(join(dir.path, 'tls.yaml'), JSON.stringify(config));
  broker = await startBroker(loadConfigFile(join(dir.path, 'tls.yaml'), {}), {
    baseDir: dir.path,
    logger: new LogSink().logger,
    store: new MemoryStore(),
  });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await mqttClients.teardown();
});

afterAll(async () => {
  await broker?.close();
  rmSync(dir.path, { recursive: true, force: true });
});

async function sdk(listener: string, options: Parameters<typeof connect>[1]): Promise<Client> {
  const client = await connect(urlOf(broker, listener), { reconnect: false, ...options });
  clients.push(client);
  return client;
}

describe('config/examples/tls.yaml', () => {
  it('has the listeners it documents', () => {
    expect(broker.listeners.map((l) => [l.name, new URL(l.url).protocol])).toEqual([
      ['native-tls', 'wss:'],
      ['native-mtls', 'wss:'],
      ['mqtts', 'mqtts:'],
    ]);
  });

  it('lets alice log on with her certificate on native-mtls and with her password on native-tls, under the same policy', async () => {
    const ca = pem(certs.ca);
    const byPassword = await sdk('native-tls', { user: 'alice', password: 'alice-pw', tls: { ca } });
    const inbox: Message[] = [];
    const arrived = new Promise<void>((resolve) => {
      void byPassword.subscribe({ topic: 'orders/alice/#' }, (message) => {
        inbox.push(message);
        resolve();
      });
    });
    await byPassword.ping();

    const byCertificate = await sdk('native-mtls', {
      tls: { ca, cert: pem(certs.clientAlice), key: pem(certs.clientAliceKey) },
    });
    expect(byCertificate.user).toBe('alice');
    await byCertificate.publish('orders/alice/1', { qty: 5 }, { ack: true });
    // The policy applies to the certificate identity as to any other: alice may not write bob's orders.
    await expect(byCertificate.publish('orders/bob/1', { qty: 5 }, { ack: true })).rejects.toMatchObject({
      code: 'NOT_ENTITLED',
    });
    await arrived;
    expect(inbox.map((m) => [m.topic, m.data])).toEqual([['orders/alice/1', { qty: 5 }]]);
  });

  it('refuses native-mtls clients without a certificate or with one from the untrusted CA', async () => {
    const ca = pem(certs.ca);
    for (const tls of [
      { ca },
      { ca, cert: pem(certs.unknownCaClientAlice), key: pem(certs.unknownCaClientAliceKey) },
    ]) {
      await expect(sdk('native-mtls', { tls, connectTimeoutMs: 600_000 })).rejects.toMatchObject({
        code: ClientErrorCodes.CONNECTION_FAILED,
      });
    }
  });

  it('serves MQTT over TLS with password logons', async () => {
    const eve = await mqttClients.connect(urlOf(broker, 'mqtts'), 5, {
      username: 'eve',
      password: 'eve-pw',
      ca: pem(certs.ca),
    });
    const granted = await eve.subscribeAsync('prices/public/#', { qos: 1 });
    expect(granted[0]!.qos).toBe(1);
    const refused = await mqttClients.refusal(urlOf(broker, 'mqtts'), 5, {
      username: 'eve',
      password: 'wrong',
      ca: pem(certs.ca),
    });
    expect(refused.code).toBe(0x86);
  });

  it('reloads its certificates through the admin listener, for the admin user', async () => {
    const response = await fetch(`${broker.adminUrl!}/admin/tls/reload`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from('admin:admin-secret').toString('base64')}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ reloaded: 1, failed: 0, profiles: { main: { reloaded: true } } });
  });
});
