// Aedes on a plain net server on 127.0.0.1, port 0, for bench:peers. Prints {"port":N} on stdout
// once listening; stops on SIGTERM. Started (and stopped by PID) by bench/mqtt-load/brokers.ts.
import { createServer } from 'node:net';
import { createRequire } from 'node:module';

// aedes 0.51 is CommonJS with `module.exports = Aedes.createBroker = Aedes`.
const { createBroker } = createRequire(import.meta.url)('aedes') as typeof import('aedes');
const broker = createBroker();
const server = createServer(broker.handle);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  broker.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
});
