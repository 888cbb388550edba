// Password logons (reconnection off) on a test's broker; after each test, closes them and then the broker.
import { afterEach } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import type { TestBroker } from './broker.js';

/** Call at the top of a test file with a getter for the broker the current test started. */
export function useBrokerClients(
  broker: () => TestBroker | undefined,
  password = 'pw',
): (user: string) => Promise<Client> {
  const clients: Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await broker()?.close();
  });
  return async (user) => {
    const c = await connect(broker()!.url, { user, password, reconnect: false });
    clients.push(c);
    return c;
  };
}
