// Implicit logon (as in AMPS): a command before logon is a logon with an empty name when the
// module allows it, and refused otherwise.
import { afterEach, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { moduleDir } from '../helpers/module-files.js';

let tb: TestBroker;
afterEach(async () => tb.close());

it('the implicit module logs a command-before-logon on with an empty name and runs the command', async () => {
  tb = await startTestBroker({ security: { authentication: { module: 'implicit' } } });
  const c = await RawClient.open(tb.url, 'json');
  expect(await c.request({ op: 'subscribe', rid: 1, sid: 1, topic: 'news' })).toEqual({ op: 'ack', rid: 1 });
  expect(await c.request({ op: 'publish', rid: 2, topic: 'news', data: 'hi', ack: true })).toEqual({
    op: 'ack',
    rid: 2,
  });
  expect(await c.next((f) => f.op === 'msg')).toMatchObject({ topic: 'news', data: 'hi', sids: [1] });
  expect(tb.broker.stats().logons).toBe(1);
  await c.close();
});

it('without it, a command before logon is refused with NOT_LOGGED_ON', async () => {
  tb = await startTestBroker({ security: { authentication: { module: 'allow-any' } } });
  const c = await RawClient.open(tb.url, 'json');
  expect(await c.request({ op: 'subscribe', rid: 1, sid: 1, topic: 'news' })).toMatchObject({
    op: 'error',
    code: 'NOT_LOGGED_ON',
  });
  await c.close();
});

it('an implicit logon the module refuses closes the connection (as in AMPS)', async () => {
  const modules = moduleDir();
  const picky = modules.write(
    'picky.mjs',
    `export default () => ({
      name: 'picky', allowsImplicitLogon: true,
      authenticate: ({ user }) => user === '' ? { outcome: 'reject', reason: 'anonymous' } : { outcome: 'accept', identity: user },
    })`,
  );
  tb = await startTestBroker({ security: { authentication: { module: picky } } });
  const c = await RawClient.open(tb.url, 'json');
  c.send({ op: 'ping', rid: 1 });
  expect(await c.next()).toMatchObject({ op: 'error', rid: 1, code: 'LOGON_FAILED' });
  expect((await c.closed).code).toBe(4003);
  modules.remove();
});
