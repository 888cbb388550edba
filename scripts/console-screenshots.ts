// `npm run console:screenshots`: the pictures of the admin console in docs/console/ (README,
// docs/console.md). Starts a broker on 127.0.0.1 ephemeral ports with users and a policy, runs a
// paced publisher, subscribers and a few denied publishes for about a minute so the charts have a
// shape, then photographs each page in Debian's chromium, at 1280 px and at a phone's width, light
// and dark. Bounded: it stops by itself and closes everything it started.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { connect, type Client } from '../client/index.js';
import { hashPassword, startBroker, type BrokerHandle } from '../server/index.js';
import { findPackageRoot } from '../server/config/package-root.js';

const CHROMIUM = '/usr/bin/chromium';
const OUT = join(findPackageRoot(import.meta.url), 'docs', 'console');
/** The charts' span in the pictures, and how long the traffic runs first: most of it. */
const HISTORY_MS = 120_000;
const WARM_UP_MS = 100_000;
const PASSWORDS = { ops: 'ops-secret-pw', alice: 'alice-pw', bob: 'bob-pw', carol: 'carol-pw', pub: 'pub-pw' };
const POLICY = {
  groups: {
    admins: { users: ['ops'], grants: [{ actions: ['admin'] }] },
    traders: {
      users: ['alice', 'bob', 'carol', 'pub'],
      // `$${user}`: the config's own placeholders would otherwise take `${user}`.
      grants: [{ actions: ['read', 'write'], topics: ['prices/#', 'orders/$${user}/#'] }],
    },
  },
  deny: [{ users: ['pub'], actions: ['write'], topics: ['orders/secret/#'] }],
};

async function startDemoBroker(): Promise<BrokerHandle> {
  const users = await Promise.all(
    Object.entries(PASSWORDS).map(async ([name, password]) => ({
      name,
      hash: await hashPassword(password, { N: 1024, r: 8, p: 1 }),
    })),
  );
  return startBroker({
    log: { level: 'silent' },
    persistence: { store: 'memory' },
    sys: { enabled: false },
    listeners: [{ name: 'native', protocol: 'native', host: '127.0.0.1', port: 0 }],
    security: {
      authentication: { module: 'users', options: { users } },
      entitlement: { module: 'policy', options: { policy: POLICY } },
    },
    admin: { host: '127.0.0.1', port: 0, console: { sampleIntervalMs: 1000, historyMs: HISTORY_MS } },
  });
}

/** Subscribers and a publisher whose rate rises and falls, plus a denied publish now and then. */
function runTraffic(url: string, clients: Client[]): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    for (const user of ['alice', 'bob', 'carol'] as const) {
      const c = await connect(url, { user, password: PASSWORDS[user] });
      clients.push(c);
      await c.subscribe({ topic: 'prices/#' }, () => {});
      await c.subscribe({ topic: `orders/${user}/#` }, () => {});
    }
    const pub = await connect(url, { user: 'pub', password: PASSWORDS.pub });
    clients.push(pub);
    const started = Date.now();
    for (let n = 0; running; n++) {
      const phase = ((Date.now() - started) / 20_000) * Math.PI;
      const batch = Math.round(20 + 15 * Math.sin(phase));
      // Unacknowledged, as a price feed publishes; a refusal would only thin the chart.
      for (let i = 0; i < batch; i++)
        pub.publish(`prices/${['eu', 'us', 'jp'][i % 3]}`, { px: 100 + (n % 50), i }).catch(() => {});
      if (n % 25 === 0) await pub.publish('orders/secret/1', { qty: 1 }, { ack: true }).catch(() => {});
      if (n % 40 === 0) await pub.publish(`prices/new-${n}`, { px: 1 }, { ack: true });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  console.log(`wrote docs/console/${name}.png`);
}

/** The Vhosts page, on a broker of its own with two tenants and a few of their connections. */
async function shootVhosts(browser: Browser): Promise<void> {
  const all = { users: ['alice', 'bob', 'carol'], remoteHosts: '*', sources: '#', targets: '#' };
  const broker = await startBroker({
    log: { level: 'silent' },
    persistence: { store: 'memory' },
    sys: { enabled: false },
    listeners: [{ name: 'native', protocol: 'native', host: '127.0.0.1', port: 0 }],
    vhosts: {
      enabled: true,
      default: '$default',
      policies: [
        { hostname: 'trading.example.com', maxConnectionsPerUser: 10, groups: { desks: all } },
        { hostname: 'research.example.com', allowUnknownUser: true, groups: { analysts: all } },
        { hostname: '$default', groups: {} },
      ],
    },
    admin: { host: '127.0.0.1', port: 0 },
  });
  const sockets: WebSocket[] = [];
  try {
    for (const [host, user] of [
      ['trading.example.com', 'alice'],
      ['trading.example.com', 'bob'],
      ['research.example.com', 'carol'],
    ] as const) {
      const ws = new WebSocket(broker.listeners[0]!.url, 'warden.v1.json', { headers: { host } });
      sockets.push(ws);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const ack = new Promise((resolve) => ws.once('message', resolve));
      ws.send(JSON.stringify({ op: 'logon', rid: 1, user, password: 'x' }));
      await ack;
    }
    const context = await browser.newContext({ viewport: { width: 1280, height: 600 } });
    const page = await context.newPage();
    await page.goto(`${broker.adminUrl}/console`);
    await page.getByLabel('User', { exact: true }).fill('ops');
    await page.getByLabel('Password', { exact: true }).fill('x');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Vhosts' }).click();
    await page.getByRole('table', { name: 'Vhosts' }).getByText('trading.example.com').waitFor();
    await shoot(page, 'vhosts');
    await context.close();
  } finally {
    for (const ws of sockets) ws.terminate();
    await broker.close();
  }
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const broker = await startDemoBroker();
  const clients: Client[] = [];
  const traffic = runTraffic(broker.listeners[0]!.url, clients);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  try {
    const admin = broker.adminUrl!;
    const auth = { authorization: `Basic ${Buffer.from(`ops:${PASSWORDS.ops}`).toString('base64')}` };
    console.log(`traffic for ${WARM_UP_MS / 1000} s so the charts have a shape ...`);
    await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS / 2));
    await fetch(`${admin}/admin/entitlements/reset`, { method: 'POST', headers: auth, body: '{"user":"carol"}' });
    await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS / 2));

    for (const scheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: scheme });
      const page = await context.newPage();
      await page.goto(`${admin}/console`);
      await page.getByLabel('User', { exact: true }).fill('ops');
      await page.getByLabel('Password', { exact: true }).fill(PASSWORDS.ops);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('figure[data-chart="latency"] canvas').first().waitFor();
      const suffix = scheme === 'dark' ? '-dark' : '';
      await shoot(page, `overview${suffix}`);
      if (scheme === 'dark') {
        await context.close();
        continue;
      }
      await page.getByRole('link', { name: 'Connections' }).click();
      await page
        .getByRole('button', { name: /^Kick connection / })
        .first()
        .waitFor();
      await shoot(page, 'connections');
      await page.getByRole('link', { name: 'Entitlements' }).click();
      await page.getByRole('table', { name: 'Recent admin actions' }).getByText('entitlement reset').first().waitFor();
      await shoot(page, 'entitlements');
      await page.getByRole('link', { name: 'Explain' }).click();
      await page.getByLabel('User', { exact: true }).fill('pub');
      await page.getByLabel('Action', { exact: true }).selectOption('write');
      await page.getByLabel('Topic', { exact: true }).fill('orders/secret/1');
      await page.getByRole('button', { name: 'Explain', exact: true }).click();
      await page.locator('[data-decision]').waitFor();
      await shoot(page, 'explain');
      await page.setViewportSize({ width: 390, height: 844 });
      await page.getByRole('link', { name: 'Overview' }).click();
      await page.locator('figure[data-chart="latency"] canvas').first().waitFor();
      await shoot(page, 'overview-phone');
      await context.close();
    }
    await shootVhosts(browser);
  } finally {
    await browser.close();
    await traffic.stop();
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await broker.close();
  }
}

await main();
