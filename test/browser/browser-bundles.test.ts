// The SDK's browser bundles (client/dist/browser, built by `npm run build`) in a real browser:
// Debian's chromium, headless, driven by playwright-core. A page served from 127.0.0.1 loads the
// minified IIFE with a <script> tag, or imports the ES module bundle, then connects to a real
// broker with the browser's own WebSocket, subscribes, publishes, and reads a message an MQTT
// client published with json(). The page's side is test/browser/pages/scenario.js.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { unusedPort } from '../client/helpers.js';
import { MqttClients } from '../mqtt/mqtt-helpers.js';

/** Debian's package (scripts/test.sh installs it); never a browser Playwright would download. */
const CHROMIUM = '/usr/bin/chromium';
const BUNDLES = join(import.meta.dirname, '../../client/dist/browser');
const PAGES = join(import.meta.dirname, 'pages');

/** What the server at `pagesUrl` serves: the two bundles, the pages that load them and their script. */
const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/warden.iife.min.js': { file: join(BUNDLES, 'warden.iife.min.js'), type: 'text/javascript' },
  '/warden.esm.min.js': { file: join(BUNDLES, 'warden.esm.min.js'), type: 'text/javascript' },
  '/scenario.js': { file: join(PAGES, 'scenario.js'), type: 'text/javascript' },
  '/iife.html': { file: join(PAGES, 'iife.html'), type: 'text/html' },
  '/esm.html': { file: join(PAGES, 'esm.html'), type: 'text/html' },
};

interface SeenMessage {
  topic: string;
  json: unknown;
  text: string;
  bytes: number[] | null;
  dataIsBytes: boolean;
}

let browser: Browser;
let pagesServer: Server;
let pagesUrl: string;
let tb: TestBroker;
const mqttClients = new MqttClients();
const pages: Page[] = [];

beforeAll(async () => {
  // Fail, never skip: a missing browser or bundle would otherwise pass for a tested one.
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (bash scripts/test.sh installs it)`);
  }
  for (const { file } of Object.values(FILES)) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build (it builds the SDK's bundles)`);
  }
  pagesServer = createServer((request, response) => {
    const served = FILES[new URL(request.url ?? '/', 'http://127.0.0.1').pathname];
    if (served === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': `${served.type}; charset=utf-8` }).end(readFileSync(served.file));
  });
  await new Promise<void>((resolve) => pagesServer.listen(0, '127.0.0.1', resolve));
  const address = pagesServer.address();
  if (address === null || typeof address === 'string') throw new Error('the pages server has no port');
  pagesUrl = `http://127.0.0.1:${address.port}`;
  // --no-sandbox: chromium's sandbox refuses to start as root (and in many containers); the
  // browser only loads these local pages.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
});

afterEach(async () => {
  await Promise.all(pages.splice(0).map((page) => page.close()));
  await mqttClients.teardown();
});

afterAll(async () => {
  await browser?.close();
  await tb?.close();
  if (pagesServer !== undefined) await new Promise<void>((resolve) => pagesServer.close(() => resolve()));
});

/** A page with the bundle loaded; any uncaught error in it fails the test. */
async function open(pageName: string): Promise<{ page: Page; exported: string[]; errors: Error[] }> {
  const page = await browser.newPage();
  pages.push(page);
  const errors: Error[] = [];
  page.on('pageerror', (error) => errors.push(error));
  await page.goto(`${pagesUrl}/${pageName}`);
  const exported = await page.evaluate<string[]>('scenario.ready');
  return { page, exported, errors };
}

/** A call on the page's `scenario`, with JSON arguments. */
function call<T>(page: Page, method: string, ...args: unknown[]): Promise<T> {
  return page.evaluate<T>(`scenario.${method}(${args.map((arg) => JSON.stringify(arg)).join(', ')})`);
}

describe.each([
  ['the minified IIFE in a <script> tag', 'iife.html'],
  ['the ES module bundle, imported', 'esm.html'],
])('%s', (_, pageName) => {
  it.each(['msgpack', 'json'])(
    'connects over %s with the browser WebSocket, round-trips a message and reads an MQTT publish with json()',
    async (encoding) => {
      const { page, exported, errors } = await open(pageName);
      expect(exported).toEqual(
        expect.arrayContaining(['connect', 'Client', 'WardenError', 'ErrorCodes', 'CloseCodes']),
      );

      expect(await call(page, 'connect', tb.url, encoding)).toEqual({
        user: 'browser',
        state: 'connected',
        socketsOpened: 1,
      });

      await call(page, 'publish', 'browser/sdk', { from: 'browser', n: [1, 2] });
      expect(await call<SeenMessage>(page, 'next', 'browser/sdk')).toEqual({
        topic: 'browser/sdk',
        json: { from: 'browser', n: [1, 2] },
        text: '{"from":"browser","n":[1,2]}',
        bytes: null,
        dataIsBytes: false,
      });

      const mqtt = await mqttClients.connect(tb.mqttUrl!, 5, { username: 'mqtt-writer' });
      await mqtt.publishAsync('browser/mqtt', '{"via":"mqtt"}', { qos: 1 });
      const fromMqtt = await call<SeenMessage>(page, 'next', 'browser/mqtt');
      expect(fromMqtt).toMatchObject({ json: { via: 'mqtt' }, text: '{"via":"mqtt"}', dataIsBytes: true });
      expect(fromMqtt.bytes).toEqual([...Buffer.from('{"via":"mqtt"}')]);

      expect(await call(page, 'close')).toBe('closed');
      expect(errors).toEqual([]);
    },
  );

  it("rejects a connect to nothing with the bundle's WardenError, CONNECTION_FAILED", async () => {
    const { page, errors } = await open(pageName);
    const dead = `ws://127.0.0.1:${await unusedPort()}/`;
    expect(await call(page, 'refusal', dead)).toEqual({ isWardenError: true, code: 'CONNECTION_FAILED' });
    expect(errors).toEqual([]);
  });
});
