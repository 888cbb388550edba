// Test fixture: a real broker in-process on an ephemeral 127.0.0.1 port, logging nothing.
// WebSocket listeners run on the engine WARDEN_TEST_TRANSPORT names (`ws`, the default, or `uws`):
// vitest.config.ts runs the WebSocket test files once per engine.
import type { Logger } from 'pino';
import { startBroker, type BrokerHandle, type BrokerStore, type WardenConfigInput } from '../../server/index.js';
import type { Timers } from '../../server/timers.js';

/** The WebSocket engine this test run is for. */
export const TEST_TRANSPORT: 'ws' | 'uws' = testTransport(process.env.WARDEN_TEST_TRANSPORT);

function testTransport(value: string | undefined): 'ws' | 'uws' {
  if (value === undefined || value === '' || value === 'ws') return 'ws';
  if (value === 'uws') return 'uws';
  throw new Error(`WARDEN_TEST_TRANSPORT must be ws or uws, got ${JSON.stringify(value)}`);
}

/** The MQTT listener `transport` value for MQTT over WebSocket on the engine under test. */
export const MQTT_WS_TRANSPORT = TEST_TRANSPORT === 'uws' ? 'uws' : 'websocket';

/**
 * Throws unless every WebSocket listener is served by the engine under test: a uws run that had
 * silently fallen back to ws would otherwise pass while testing nothing new.
 */
export function assertTestTransport(broker: BrokerHandle): void {
  for (const l of broker.listeners) {
    if (l.transport !== 'tcp' && l.transport !== 'http' && l.transport !== TEST_TRANSPORT)
      throw new Error(`listener ${l.name} is served by ${l.transport}, not ${TEST_TRANSPORT}`);
  }
}

export interface TestBroker {
  url: string;
  /** mqtt://127.0.0.1:PORT when `mqtt` asked for a TCP listener, else null. */
  mqttUrl: string | null;
  /** ws://127.0.0.1:PORT/mqtt when `mqtt` asked for a WebSocket listener, else null. */
  mqttWsUrl: string | null;
  /** http://127.0.0.1:PORT/api/publish when `http` asked for an HTTP publish listener, else null. */
  httpUrl: string | null;
  broker: BrokerHandle;
  close(): Promise<void>;
}

/** The config sections as startBroker takes them (the YAML file's shape), so overrides are type-checked. */
type ListenerInput = NonNullable<WardenConfigInput['listeners']>[number];
type NativeListenerInput = Extract<ListenerInput, { protocol?: 'native' }>;
type MqttListenerInput = Extract<ListenerInput, { protocol: 'mqtt' }>;
type HttpListenerInput = Extract<ListenerInput, { protocol: 'http' }>;

export type ListenerOptionsOverride = NonNullable<NativeListenerInput['options']>;
/** A listener's own security keys: its authentication and entitlement modules, its tls. */
export type ListenerSecurityOverride = Pick<ListenerInput, 'authentication' | 'entitlement' | 'tls'>;

export interface TestBrokerOverrides {
  listener?: ListenerOptionsOverride;
  /** Extra listener keys (e.g. a per-listener authentication module). */
  listenerSecurity?: ListenerSecurityOverride;
  topics?: WardenConfigInput['topics'];
  shutdown?: WardenConfigInput['shutdown'];
  /** The `security` config section. */
  security?: WardenConfigInput['security'];
  /** Start the admin listener (on an ephemeral port) with these extra keys. Off by default. */
  admin?: WardenConfigInput['admin'];
  /** The `health` section (probes); `port` 0 gives them an ephemeral listener of their own. */
  health?: WardenConfigInput['health'];
  /** The `sys` section ($SYS topics); off unless given, so other tests see no $SYS traffic. */
  sys?: WardenConfigInput['sys'];
  /** Where relative module paths resolve. */
  baseDir?: string;
  /** Add MQTT listeners on ephemeral ports: over TCP and/or WebSocket (default both), with these options and extra keys. */
  mqtt?: {
    transports?: ('tcp' | 'websocket')[];
    options?: MqttListenerInput['options'];
    listenerSecurity?: ListenerSecurityOverride;
  };
  /** Add an HTTP publish listener named `http` on an ephemeral port, with these options and extra keys. */
  http?: {
    options?: HttpListenerInput['options'];
    listenerSecurity?: ListenerSecurityOverride;
  };
  /** The `admission` section. */
  admission?: WardenConfigInput['admission'];
  /** The `content` section (content.filterSyntax). */
  content?: WardenConfigInput['content'];
  /** The `audit` section (on by default, to stdout: the tests' silent log). */
  audit?: WardenConfigInput['audit'];
  /** The broker-wide `mqtt` config section (retained store, sessions). */
  mqttConfig?: WardenConfigInput['mqtt'];
  /** The broker's protocol timers and their clock (ManualTimers: the test moves time); real ones by default. */
  timers?: Timers;
  /** The `persistence` section; default `{ store: memory }`, so tests share no data directory. */
  persistence?: WardenConfigInput['persistence'];
  /** A store object to use instead (a MemoryStore carried from one broker to the next). */
  store?: BrokerStore;
  /** The broker's logger (a LogSink's, to read its log and audit lines); silent by default. */
  logger?: Logger;
}

function mqttListeners(mqtt: TestBrokerOverrides['mqtt']): MqttListenerInput[] {
  if (mqtt === undefined) return [];
  const common = {
    protocol: 'mqtt' as const,
    host: '127.0.0.1',
    port: 0,
    options: mqtt.options ?? {},
    ...mqtt.listenerSecurity,
  };
  return (mqtt.transports ?? ['tcp', 'websocket']).map((transport) =>
    transport === 'tcp'
      ? { ...common, name: 'mqtt', transport }
      : { ...common, name: 'mqtt-ws', transport: MQTT_WS_TRANSPORT, path: '/mqtt' },
  );
}

export async function startTestBroker(overrides: TestBrokerOverrides = {}): Promise<TestBroker> {
  const broker = await startBroker(
    {
      log: { level: 'silent' },
      topics: overrides.topics ?? {},
      shutdown: overrides.shutdown ?? { graceMs: 2000 },
      ...(overrides.mqttConfig === undefined ? {} : { mqtt: overrides.mqttConfig }),
      persistence: overrides.persistence ?? { store: 'memory' },
      security: overrides.security ?? {},
      admin:
        overrides.admin === undefined
          ? { enabled: false }
          : { enabled: true, host: '127.0.0.1', port: 0, ...overrides.admin },
      ...(overrides.health === undefined ? {} : { health: { host: '127.0.0.1', ...overrides.health } }),
      sys: overrides.sys ?? { enabled: false },
      ...(overrides.admission === undefined ? {} : { admission: overrides.admission }),
      ...(overrides.audit === undefined ? {} : { audit: overrides.audit }),
      ...(overrides.content === undefined ? {} : { content: overrides.content }),
      listeners: [
        {
          name: 'native',
          protocol: 'native',
          host: '127.0.0.1',
          port: 0,
          path: '/',
          transport: TEST_TRANSPORT,
          options: overrides.listener ?? {},
          ...overrides.listenerSecurity,
        },
        ...mqttListeners(overrides.mqtt),
        ...(overrides.http === undefined
          ? []
          : [
              {
                name: 'http',
                protocol: 'http' as const,
                host: '127.0.0.1',
                port: 0,
                options: overrides.http.options ?? {},
                ...overrides.http.listenerSecurity,
              },
            ]),
      ],
    },
    { baseDir: overrides.baseDir, timers: overrides.timers, store: overrides.store, logger: overrides.logger },
  );
  try {
    assertTestTransport(broker);
  } catch (err) {
    await broker.close();
    throw err;
  }
  const find = (name: string): string | null => broker.listeners.find((l) => l.name === name)?.url ?? null;
  return {
    url: broker.listeners[0]!.url,
    mqttUrl: find('mqtt'),
    mqttWsUrl: find('mqtt-ws'),
    httpUrl: find('http'),
    broker,
    close: () => broker.close(),
  };
}
