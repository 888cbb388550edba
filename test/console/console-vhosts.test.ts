// The console's vhosts in a real browser against a real broker with two vhosts: the Vhosts page
// lists them with their connections, the Connections table names each connection's vhost, and a
// reset of one vhost closes that vhost's connections only.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../../server/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { TEST_TRANSPORT } from '../helpers/broker.js';
import { launchChromium } from './chromium.js';

let browser: Browser;
let broker: BrokerHandle;
let context: BrowserContext;
let page: Page;
const clients: RawClient[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

const TRADERS = { users: ['alice', 'bob'], remoteHosts: '*', sources: '#', targets: '#' };

beforeEach(async () => {
  broker = await startBroker({
    log: { level: 'silent' },
    persistence: { store: 'memory' },
    sys: { enabled: false },
    admin: {
      enabled: true,
      host: '127.0.0.1',
      port: 0,
      credentialCache: { ttlMs: 0 },
      entitlement: {
        module: 'policy',
        options: { policy: { groups: { admins: { users: ['ops'], grants: [{ actions: ['admin'] }] } } } },
      },
    },
    vhosts: {
      enabled: true,
      policies: [
        { hostname: 'a.example', groups: { traders: TRADERS } },
        { hostname: 'b.example', maxConnections: 5, groups: { traders: TRADERS } },
      ],
    },
    listeners: [{ name: 'native', protocol: 'native', transport: TEST_TRANSPORT, host: '127.0.0.1', port: 0 }],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
});

afterEach(async () => {
  await context?.close();
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await broker?.close();
});

async function logon(host: string, user: string): Promise<RawClient> {
  const c = await RawClient.open(broker.listeners[0]!.url, 'json', { headers: { host } });
  clients.push(c);
  expect(await c.request({ op: 'logon', rid: 0, user, password: 'pw' })).toMatchObject({ op: 'ack' });
  return c;
}

it('lists the vhosts and resets one of them: only its connections close', async () => {
  const alice = await logon('a.example', 'alice');
  const bob = await logon('b.example', 'bob');
  await page.goto(`${broker.adminUrl}/console`);
  await page.getByLabel('User', { exact: true }).fill('ops');
  await page.getByLabel('Password', { exact: true }).fill('any');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Signed in as ops').waitFor();

  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Connections' }).click();
  const rows = page.getByRole('table', { name: 'Connections' }).getByRole('row');
  await rows.filter({ hasText: 'b.example' }).waitFor();
  expect(await rows.filter({ hasText: 'a.example' }).count()).toBe(1);

  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Vhosts' }).click();
  const vhosts = page.getByRole('table', { name: 'Vhosts' });
  await vhosts.getByRole('row').filter({ hasText: 'b.example' }).waitFor();
  expect(await vhosts.getByRole('row').filter({ hasText: 'b.example' }).textContent()).toContain('5 (');

  await page.getByRole('button', { name: 'Reset the entitlements of a.example' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  expect(await dialog.textContent()).toContain('other vhosts keep theirs');
  await dialog.getByRole('button', { name: 'Reset', exact: true }).click();
  expect((await alice.closed).code).toBe(4004);
  expect(await bob.request({ op: 'ping', rid: 1 })).toMatchObject({ op: 'ack' });
  await page.getByText('Reset a.example: 1 connection closed.').waitFor();
});
