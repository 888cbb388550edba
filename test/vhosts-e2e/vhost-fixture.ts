// The vhost tests' broker: one real broker per test, started with vhosts and the quiet defaults
// every such test wants, closed after it with every client the test opened; and native
// connections that name their vhost by the Host header.
import { afterEach } from 'vitest';
import { startBroker, type BrokerHandle, type StartBrokerOptions, type WardenConfigInput } from '../../server/index.js';
import { RawClient, type Frame } from '../helpers/raw-client.js';

/** A group's grants to read and write every topic from anywhere. */
export const ALL = { remoteHosts: '*', sources: '#', targets: '#' } as const;

export interface VhostBroker {
  /** Starts the test's broker: silent log, memory store, no admin listener, no $SYS, then `config` over them. */
  start(config: WardenConfigInput, options?: StartBrokerOptions): Promise<BrokerHandle>;
  /** The broker started last. */
  readonly broker: BrokerHandle;
  /** `close` runs after the test, before the broker closes. */
  closeAfter(close: () => Promise<unknown>): void;
  /** A native connection to listener `listener` with `host` as its Host header, and the answer to its logon. */
  attempt(host: string, user: string, password?: string, listener?: number): Promise<[RawClient, Frame]>;
  /** The same, logged on: throws when the logon is refused. */
  logon(host: string, user: string, listener?: number): Promise<RawClient>;
}

export function useVhostBroker(): VhostBroker {
  let current: BrokerHandle | null = null;
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await current?.close();
    current = null;
  });
  const fixture: VhostBroker = {
    async start(config, options) {
      current = await startBroker(
        {
          log: { level: 'silent' },
          persistence: { store: 'memory' },
          admin: { enabled: false },
          sys: { enabled: false },
          ...config,
        },
        options,
      );
      return current;
    },
    get broker() {
      if (current === null) throw new Error('start() the broker first');
      return current;
    },
    closeAfter(close) {
      closers.push(close);
    },
    async attempt(host, user, password = 'pw', listener = 0) {
      const client = await RawClient.open(fixture.broker.listeners[listener]!.url, 'json', { headers: { host } });
      closers.push(() => client.close());
      return [client, await client.request({ op: 'logon', rid: 0, user, password })];
    },
    async logon(host, user, listener = 0) {
      const [client, ack] = await fixture.attempt(host, user, 'pw', listener);
      if (ack.op !== 'ack') throw new Error(`logon of ${user} to ${host} refused: ${JSON.stringify(ack)}`);
      return client;
    },
  };
  return fixture;
}
