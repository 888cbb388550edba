// A listener configured with uws whose uWebSockets.js does not load: the broker refuses to start
// with a config error naming each such listener, the reason and the install command, rather than
// quietly serving it with ws; with the engine there, it serves the listener with it.
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { ConfigError, startBroker, type BrokerHandle } from '../../server/index.js';
import { UWS_INSTALL } from '../../server/transports/uws/load-uws.js';

let broker: BrokerHandle | null = null;
afterEach(async () => {
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

it('refuses to start, naming each uws listener and the install command, when uWebSockets.js is not there', async () => {
  const { log, records } = recordingLogger();
  let loads = 0;
  const started = startBroker(
    {
      admin: { enabled: false },
      persistence: 'none',
      listeners: [
        { name: 'plain', protocol: 'native', transport: 'ws', host: '127.0.0.1', port: 0 },
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
  const err = await started.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  const { issues } = err as ConfigError;
  expect(issues.map((i) => i.path)).toEqual(['listeners[1].transport', 'listeners[2].transport']);
  expect(issues[0]!.message).toBe(
    `uws needs uWebSockets.js, which is not available: simulated: no binary. Install it with \`npm install ${UWS_INSTALL}\`, or use transport ws`,
  );
  expect(issues[1]!.message).toMatch(/or use transport websocket$/);
  expect(loads).toBe(1);
  // Nothing was bound: no listener reported listening.
  expect(records.filter((r) => r.msg === 'listening')).toEqual([]);
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
