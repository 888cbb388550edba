// The admin console in a real browser (Debian's chromium, headless, driven by playwright-core)
// against a real broker: signing in, the charts following a publisher, kicking a connection,
// resetting one user, disabling and enabling entitlements, explaining a denial, and a forged
// request from another origin. The page is dist/console, as `npm run build` makes it.
import { createServer, type Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { CloseCodes } from '../../protocol/native.js';
import type { TestBroker } from '../helpers/broker.js';
import { consoleBroker, PASSWORDS, type UserName } from './console-fixture.js';
import { launchChromium } from './chromium.js';

let browser: Browser;
let tb: TestBroker;
let context: BrowserContext;
let page: Page;
/** Uncaught errors and Content-Security-Policy violations in the page: any fails the test. */
let pageProblems: string[];
const clients: Client[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  tb = await consoleBroker({ sampleIntervalMs: 500 });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  pageProblems = [];
  page.on('pageerror', (error) => pageProblems.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) pageProblems.push(`CSP: ${message.text()}`);
  });
});

afterEach(async () => {
  await context?.close();
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
  await tb?.close();
  expect(pageProblems).toEqual([]);
});

function adminUrl(): string {
  return tb.broker.adminUrl!;
}

async function client(user: UserName): Promise<Client> {
  const c = await connect(tb.url, { user, password: PASSWORDS[user], reconnect: false });
  clients.push(c);
  return c;
}

/** Resolves with the close code when `c` is disconnected. */
function closeCodeOf(c: Client): Promise<number> {
  return new Promise((resolve) => c.once('disconnected', ({ code }) => resolve(code)));
}

async function signIn(user: UserName = 'ops', password: string = PASSWORDS[user]): Promise<void> {
  await page.goto(`${adminUrl()}/console`);
  await page.getByLabel('User', { exact: true }).fill(user);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function signedIn(): Promise<void> {
  await signIn();
  await page.getByText('Signed in as ops').waitFor();
}

async function goTo(name: 'Overview' | 'Connections' | 'Entitlements' | 'Explain' | 'Vhosts'): Promise<void> {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

/** Click the dialog's button `verb` after checking what it says. */
async function confirm(verb: string): Promise<string> {
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  const text = (await dialog.textContent()) ?? '';
  await dialog.getByRole('button', { name: verb, exact: true }).click();
  await dialog.waitFor({ state: 'hidden' });
  return text;
}

/** The number in a chart's "Latest" text (the first, when it names several). */
function latestOf(chart: string): Promise<number> {
  return page
    .locator(`figure[data-chart="${chart}"] [data-latest]`)
    .textContent()
    .then((text) => Number(/-?\d+(\.\d+)?/.exec(text ?? '')?.[0] ?? Number.NaN));
}

async function entitlementsEnabled(): Promise<boolean> {
  const response = await fetch(`${adminUrl()}/admin/entitlements`, {
    headers: { authorization: `Basic ${Buffer.from(`ops:${PASSWORDS.ops}`).toString('base64')}` },
  });
  return ((await response.json()) as { enabled: boolean }).enabled;
}

describe('the admin console in a browser', () => {
  it('signs in with the admin credentials, refusing a wrong password, into an HttpOnly SameSite=Strict cookie', async () => {
    await signIn('ops', 'not-the-password');
    await expect(page.getByRole('alert').textContent()).resolves.toContain('authentication failed');
    expect(await page.getByRole('navigation', { name: 'Console' }).count()).toBe(0);

    await signIn('alice');
    await expect(page.getByRole('alert').textContent()).resolves.toContain('not entitled');

    await signedIn();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const [cookie] = await context.cookies(adminUrl());
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(await page.evaluate(() => document.cookie)).toBe('');

    // A new page of the same browser is still signed in; after sign-out, it is not.
    await page.reload();
    await page.getByText('Signed in as ops').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Warden' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to Warden' }).waitFor();
  });

  it('draws the charts with uPlot and moves them while a publisher runs', async () => {
    await signedIn();
    const figures = page.locator('figure[data-chart]');
    await figures.first().waitFor();
    expect(await figures.evaluateAll((els) => els.map((e) => e.getAttribute('data-chart')))).toEqual([
      'connections',
      'messagesIn',
      'deliveries',
      'denials',
      'cache',
      'latency',
    ]);
    await page.locator('figure[data-chart="messagesIn"] canvas').first().waitFor();
    expect(await latestOf('messagesIn')).toBe(0);

    const subscriber = await client('bob');
    await subscriber.subscribe({ topic: 'prices/#' }, () => {});
    const pub = await client('pub');
    let publishing = true;
    const publisher = (async () => {
      for (let n = 0; publishing; n++) await pub.publish('prices/eu', { n }, { ack: true });
    })();
    try {
      await page.waitForFunction(() => {
        const text = document.querySelector('figure[data-chart="messagesIn"] [data-latest]')?.textContent ?? '';
        return Number(/\d+(\.\d+)?/.exec(text)?.[0] ?? 0) > 0;
      });
      await page.waitForFunction(() => {
        const text = document.querySelector('figure[data-chart="deliveries"] [data-latest]')?.textContent ?? '';
        return Number(/\d+(\.\d+)?/.exec(text)?.[0] ?? 0) > 0;
      });
    } finally {
      publishing = false;
      await publisher;
    }
    expect(await latestOf('connections')).toBeGreaterThanOrEqual(2);
  });

  it('finds a connection, kicks it, and the client is disconnected (4005); the others stay', async () => {
    const alice = await client('alice');
    const bob = await client('bob');
    await signedIn();
    await goTo('Connections');
    await page.getByLabel('User', { exact: true }).fill('alice');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('1 connection', { exact: false }).waitFor();
    const kick = page.getByRole('button', { name: /^Kick connection / });
    await kick.waitFor();
    expect(await kick.count()).toBe(1);

    const closed = closeCodeOf(alice);
    await kick.click();
    await confirm('Kick');
    expect(await closed).toBe(CloseCodes.DISCONNECTED_BY_ADMIN);
    expect(bob.state).toBe('connected');
  });

  it('resets one user: only that user’s connections close, and the history shows it', async () => {
    const alice1 = await client('alice');
    const alice2 = await client('alice');
    const bob = await client('bob');
    await signedIn();
    await goTo('Entitlements');
    await page.getByLabel('User (leave empty for everyone)').fill('alice');
    await page.getByRole('button', { name: 'Reset entitlements' }).click();
    const closed = [closeCodeOf(alice1), closeCodeOf(alice2)];
    const said = await confirm('Reset');
    expect(said).toContain('closes 2 connections');
    expect(await Promise.all(closed)).toEqual([4004, 4004]);
    expect(bob.state).toBe('connected');

    const history = page.getByRole('table', { name: 'Recent admin actions' });
    await history.getByText('entitlement reset').first().waitFor();
    expect(await history.textContent()).toContain('"reset":"alice"');
  });

  it('resets in reevaluate mode: the user is asked again and stays connected', async () => {
    const bob = await client('bob');
    await signedIn();
    await goTo('Entitlements');
    await page.getByLabel('User (leave empty for everyone)').fill('bob');
    await page.getByLabel('Mode', { exact: true }).selectOption('reevaluate');
    await page.getByRole('button', { name: 'Reset entitlements' }).click();
    expect(await confirm('Reset')).toContain('asks the module again for what 1 open connection hold');
    await page.getByRole('status').getByText('Reset entitlements for bob: closed 0 connections.').waitFor();
    expect(bob.state).toBe('connected');
    const history = page.getByRole('table', { name: 'Recent admin actions' });
    await history.getByText('"mode":"reevaluate"', { exact: false }).first().waitFor();
  });

  it('disables entitlements (a denied publish then passes) and enables them again', async () => {
    const pub = await client('pub');
    await expect(pub.publish('orders/secret/1', { n: 1 }, { ack: true })).rejects.toThrow();
    await signedIn();
    await goTo('Entitlements');

    await page.getByRole('button', { name: 'Disable entitlements' }).click();
    expect(await confirm('Disable')).toContain('allowed with full permissions');
    await page.getByText('Disabled', { exact: true }).waitFor();
    expect(await entitlementsEnabled()).toBe(false);
    await pub.publish('orders/secret/2', { n: 2 }, { ack: true });

    await page.getByRole('button', { name: 'Enable entitlements' }).click();
    expect(await confirm('Enable')).toContain('run a reset afterwards');
    await page.getByText('Enabled', { exact: true }).waitFor();
    expect(await entitlementsEnabled()).toBe(true);
    await expect(pub.publish('orders/secret/3', { n: 3 }, { ack: true })).rejects.toThrow();
  });

  it('explains a denied topic, naming the deny rule', async () => {
    await signedIn();
    await goTo('Explain');
    await page.getByLabel('User', { exact: true }).fill('pub');
    await page.getByLabel('Action', { exact: true }).selectOption('write');
    await page.getByLabel('Topic', { exact: true }).fill('orders/secret/1');
    await page.getByRole('button', { name: 'Explain', exact: true }).click();
    const decision = page.locator('[data-decision]');
    await decision.waitFor();
    expect(await decision.textContent()).toContain('Decision: deny');
    const result = page.getByRole('region', { name: 'Result' });
    const text = (await result.textContent()) ?? '';
    expect(text).toContain('deny[0]');
    expect(text).toContain('orders/secret/#');
    expect(text).toContain('policy');
  });

  it('refuses a forged request from a page of another origin, though the browser sends the cookie', async () => {
    await signedIn();
    // Another origin on the same site (127.0.0.1, another port): SameSite lets the cookie go with it.
    const evil = await evilServer(adminUrl());
    try {
      const attacker = await context.newPage();
      const readToken = attacker.waitForEvent('console', (m) => m.text().startsWith('token:'));
      await attacker.goto(evil.url);
      // The page cannot read the session's CSRF token: the console answers no CORS headers.
      expect((await readToken).text()).toBe('token: refused');
      await attacker.getByRole('button', { name: 'Win a prize' }).click();
      await attacker.waitForURL(`${adminUrl()}/admin/entitlements/disable`);
      // Chromium says Sec-Fetch-Site: same-site; the Origin (another port) would refuse it too.
      expect(await attacker.locator('body').textContent()).toMatch(
        /refused: the request came from another (site|origin)/,
      );
      expect(await entitlementsEnabled()).toBe(true);
    } finally {
      await evil.close();
    }
  });
});

describe('the console as a page', () => {
  it('is keyboard navigable: skip link first, links and forms by keys, Esc cancels a confirmation', async () => {
    await client('alice');
    await signedIn();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    // To the Connections link by Tab alone, then follow it with Enter.
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate(() => document.activeElement?.textContent)) === 'Connections') break;
    }
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Connections' }).waitFor();
    await page.getByLabel('User', { exact: true }).focus();
    await page.keyboard.type('alice');
    await page.keyboard.press('Enter');
    const kick = page.getByRole('button', { name: /^Kick connection / });
    await kick.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(clients[0]!.state).toBe('connected');
    // Every form control has a label.
    for (const name of ['Overview', 'Connections', 'Entitlements', 'Explain', 'Vhosts'] as const) {
      await goTo(name);
      const unlabelled = await page.evaluate(() =>
        Array.from(document.querySelectorAll('input, select, textarea'))
          .filter((el) => (el as HTMLInputElement).labels?.length === 0 && !el.getAttribute('aria-label'))
          .map((el) => el.outerHTML),
      );
      expect(unlabelled).toEqual([]);
    }
  });

  it('fits a phone: nothing wider than the screen but the scrolling tables', async () => {
    await client('alice');
    await page.setViewportSize({ width: 375, height: 800 });
    await signedIn();
    for (const name of ['Overview', 'Connections', 'Entitlements', 'Explain', 'Vhosts'] as const) {
      await goTo(name);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    }
  });

  it('follows the system: light by default, dark when the system prefers it', async () => {
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const lightness = (rgb: string) => {
      const [r, g, b] = (rgb.match(/\d+/g) ?? []).map(Number);
      return (r! + g! + b!) / 3;
    };
    await page.emulateMedia({ colorScheme: 'light' });
    await signedIn();
    expect(lightness(await background())).toBeGreaterThan(180);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(lightness(await background())).toBeLessThan(80);
  });
});

/** A page of another origin that tries to read the session and to disable entitlements with a form. */
async function evilServer(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const html = `<!doctype html><html><body>
<form method="post" action="${target}/admin/entitlements/disable" enctype="text/plain">
<input type="hidden" name="{}" value=""><button>Win a prize</button></form>
<script>
fetch(${JSON.stringify(`${target}/console/session`)}, { credentials: 'include' })
  .then((r) => r.json()).then((b) => console.log('token: ' + b.csrfToken), () => console.log('token: refused'));
</script></body></html>`;
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the page server has no port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
