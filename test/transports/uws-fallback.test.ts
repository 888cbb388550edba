// A listener configured with uws whose uWebSockets.js does not load: the broker warns, naming the
// listener and the reason, and serves it with ws (checked through a real broker and real clients).
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import mqtt from 'mqtt';
import { afterEach, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { startBroker, type BrokerHandle } from '../../server/index.js';
import { Collector } from '../helpers/collector.js';

let broker: BrokerHandle | null = null;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await broker?.close();
  broker = null;
});

function recordingLogger(): { log: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      records.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), records };
}

it('warns and serves uws listeners with ws when the native binary is not there', async () => {
  const { log, records } = recordingLogger();
  let loads = 0;
  broker = await startBroker(
    {
      admin: { enabled: false },
      persistence: 'none',
      listeners: [
        { name: 'fast', protocol: 'native', transport: 'uws', host: '127.0.0.1', port: 0 },
        { name: 'fast-mqtt', protocol: 'mqtt', transport: 'uws', host: '127.0.0.1', port: 0 },
      ],
    },
    {
      logger: log,
      uwsLoader: () => {
        loads++;
        return { uws: null, reason: 'simulated: no binary' };
      },
    },
  );
  expect(loads).toBe(1);
  expect(records.filter((r) => r.level === 40).map((r) => [r.listener, r.reason, r.msg])).toEqual([
    ['fast', 'simulated: no binary', 'uWebSockets.js is not available; serving this listener with ws'],
    ['fast-mqtt', 'simulated: no binary', 'uWebSockets.js is not available; serving this listener with ws'],
  ]);
  expect(broker.listeners.map((l) => [l.name, l.transport])).toEqual([
    ['fast', 'ws'],
    ['fast-mqtt', 'ws'],
  ]);
  expect(records.filter((r) => r.msg === 'listening').map((r) => r.transport)).toEqual(['ws', 'ws']);

  // Both work, over ws.
  const sdk: Client = await connect(broker.listeners[0]!.url, { user: 'a', password: 'pw', reconnect: false });
  closers.push(() => sdk.close());
  const got = new Collector<unknown>();
  await sdk.subscribe({ topic: 'fallback/t' }, (m) =>
    got.push(m.bytes === undefined ? m.data : Buffer.from(m.bytes).toString('utf8')),
  );
  const device = await mqtt.connectAsync(broker.listeners[1]!.url, {
    protocolVersion: 5,
    username: 'd',
    password: 'pw',
    reconnectPeriod: 0,
  });
  closers.push(() => device.endAsync());
  await device.publishAsync('fallback/t', 'over ws', { qos: 1 });
  await got.count(1);
  expect(got.items).toEqual(['over ws']);
});

it('uses uWebSockets.js when the loader answers it, and logs no warning', async () => {
  const { log, records } = recordingLogger();
  broker = await startBroker(
    {
      admin: { enabled: false },
      persistence: 'none',
      listeners: [{ name: 'fast', protocol: 'native', transport: 'uws', host: '127.0.0.1', port: 0 }],
    },
    { logger: log },
  );
  expect(broker.listeners[0]).toMatchObject({ name: 'fast', transport: 'uws' });
  expect(records.filter((r) => r.level === 40)).toEqual([]);
});
