// bench:http's baseline: a bare node:http server on 127.0.0.1 port 0 that reads each request's
// body and answers 204, nothing else. Run as a child process (pinned like the broker); prints its
// port as one JSON line and exits on SIGTERM.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const server = createServer((req, res) => {
  // Read the body as the broker must, so the baseline is HTTP's own cost and nothing less.
  req.resume();
  req.on('end', () => {
    res.writeHead(204);
    res.end();
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
