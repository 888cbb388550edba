// Test fixture: a real broker in-process on an ephemeral 127.0.0.1 port, logging nothing.
import { startBroker, type BrokerHandle } from '../../server/index.js';

export interface TestBroker {
  url: string;
  broker: BrokerHandle;
  close(): Promise<void>;
}

export type ListenerOptionsOverride = Partial<{
  maxFrameBytes: number;
  maxSendQueueBytes: number;
  maxProtocolErrors: number;
  logonTimeoutMs: number;
  maxSubscriptionsPerConnection: number;
  heartbeatIntervalMs: number;
}>;

export interface TestBrokerOverrides {
  listener?: ListenerOptionsOverride;
  /** Extra listener keys (e.g. a per-listener authentication module). */
  listenerSecurity?: Record<string, unknown>;
  topics?: Record<string, number>;
  shutdown?: { graceMs: number };
  /** The `security` config section. */
  security?: Record<string, unknown>;
  /** Start the admin listener (on an ephemeral port) with these extra keys. Off by default. */
  admin?: Record<string, unknown>;
  /** Where relative module paths resolve. */
  baseDir?: string;
}

export async function startTestBroker(overrides: TestBrokerOverrides = {}): Promise<TestBroker> {
  const broker = await startBroker(
    {
      log: { level: 'silent' },
      topics: overrides.topics ?? {},
      shutdown: overrides.shutdown ?? { graceMs: 2000 },
      security: overrides.security ?? {},
      admin: overrides.admin === undefined ? { enabled: false } : { enabled: true, host: '127.0.0.1', port: 0, ...overrides.admin },
      listeners: [
        {
          name: 'native',
          protocol: 'native',
          host: '127.0.0.1',
          port: 0,
          path: '/',
          options: overrides.listener ?? {},
          ...overrides.listenerSecurity,
        },
      ],
    },
    { baseDir: overrides.baseDir },
  );
  return { url: broker.listeners[0]!.url, broker, close: () => broker.close() };
}
