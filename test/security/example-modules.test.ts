// The example user modules shipped in config/examples/modules load from their files and work.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterEach, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { parseConfig } from '../../server/config/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { Collector } from '../helpers/collector.js';

const MODULES = join(import.meta.dirname, '../../config/examples/modules');

let tb: TestBroker;
const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await tb.close();
});

it('static-token authentication and home-topics entitlement, loaded by relative path', async () => {
  tb = await startTestBroker({
    baseDir: MODULES,
    security: {
      authentication: {
        module: './static-token-authentication.mjs',
        options: {
          tokens: [
            { token: 't-ann', identity: 'ann' },
            { token: 't-ben', identity: 'ben' },
          ],
        },
      },
      entitlement: { module: './home-topics-entitlement.mjs', options: { publicPrefix: 'news/', publishers: ['ben'] } },
    },
  });
  const ann = await connect(tb.url, { token: 't-ann', reconnect: false });
  clients.push(ann);
  expect(ann.user).toBe('ann');
  await expect(connect(tb.url, { user: 'ann', token: 'forged', reconnect: false })).rejects.toMatchObject({
    code: 'LOGON_FAILED',
  });
  await expect(connect(tb.url, { user: 'ann', password: 'pw', reconnect: false })).rejects.toMatchObject({
    code: 'LOGON_FAILED',
  });

  const ben = await connect(tb.url, { token: 't-ben', reconnect: false });
  clients.push(ben);
  const annGot = new Collector<string>();
  await ann.subscribe({ topic: '#' }, (m) => annGot.push(m.topic));
  await expect(ann.subscribe({ topic: 'home/ben/inbox' })).rejects.toMatchObject({ code: 'NOT_ENTITLED' });
  await expect(ben.publish('home/ann/inbox', 'forged', { ack: true })).rejects.toMatchObject({ code: 'NOT_ENTITLED' });
  await ben.publish('home/ben/diary', 'private', { ack: true });
  await ben.publish('news/today', 'public', { ack: true });
  await expect(ann.publish('news/today', 'not a publisher', { ack: true })).rejects.toMatchObject({
    code: 'NOT_ENTITLED',
  });
  await ann.publish('home/ann/inbox', 'mine', { ack: true });
  await annGot.count(2);
  expect(annGot.items).toEqual(['news/today', 'home/ann/inbox']);
});

it('static-token authentication: the config in its header comment works with the token from the environment', async () => {
  const source = readFileSync(join(MODULES, 'static-token-authentication.mjs'), 'utf8');
  const snippet = /Load it from a config file:\n\/\/\n((?:\/\/ {3}.*\n)+)/.exec(source)?.[1];
  expect(snippet).toBeDefined();
  const yaml = snippet!.replace(/^\/\/ {3}/gm, '');
  const config = parseConfig(parseYaml(yaml), { env: { SERVICE_TOKEN: 'the-real-token' } });
  tb = await startTestBroker({
    baseDir: join(MODULES, '..'),
    security: { authentication: config.security.authentication },
  });
  const service = await connect(tb.url, { token: 'the-real-token', reconnect: false });
  clients.push(service);
  expect(service.user).toBe('billing-service');
  // The placeholder's own text is not a token.
  await expect(connect(tb.url, { token: '${env:SERVICE_TOKEN}', reconnect: false })).rejects.toMatchObject({
    code: 'LOGON_FAILED',
  });
});
