// What a connection's unsent output holds, as the slow-consumer bound sees it:
// the uWebSockets.js outbox counts each message's frame header and slots, not only its bytes (as
// the ws engine's batch counts the headers it writes), and a lone chunk written to a backed-up TCP
// socket is not a view that keeps a larger buffer (the publisher's socket read) alive.
import { createServer, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from '../../server/transports/uws/outbox.js';
import { ownChunk, WriteBatch } from '../../server/transports/turn-batcher.js';

describe('uWS outbox', () => {
  it('counts a frame header and two slots per message beside its bytes', () => {
    const outbox = new Outbox();
    outbox.add(Buffer.alloc(5), null);
    outbox.add(Buffer.alloc(3), Buffer.alloc(4));
    expect(outbox.bytes).toBe(5 + 3 + 4 + 2 * (10 + 16));
    outbox.clear();
    expect(outbox.bytes).toBe(0);
  });
});

describe('a lone chunk for a backed-up TCP socket', () => {
  it('is copied out of the larger buffer it views; kept as it is otherwise', () => {
    const read = Buffer.alloc(64 * 1024, 9);
    const view = read.subarray(100, 110);
    const copied = ownChunk(view, true);
    expect(copied).toEqual(view);
    expect(copied.buffer.byteLength).toBe(10);
    expect(ownChunk(view, false)).toBe(view);
    const whole = Buffer.allocUnsafeSlow(10);
    expect(ownChunk(whole, true)).toBe(whole);
  });

  let server: ReturnType<typeof createServer> | null = null;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve())));
    server = null;
  });

  it('still arrives intact, in order, once the peer reads', async () => {
    const peer = new Promise<Socket>((resolve) => {
      server = createServer((s) => {
        s.pause();
        resolve(s);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server!.address() as { port: number }).port;
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const reader = await peer;
    sockets.push(reader);
    // Fill the kernel buffers until the socket holds writes itself.
    const filler = Buffer.alloc(256 * 1024, 1);
    let sent = 0;
    while (socket.writableLength === 0) {
      socket.write(filler);
      sent += filler.length;
    }
    const read = Buffer.alloc(64 * 1024, 2);
    read.write('marker', 1000);
    const batch = new WriteBatch();
    batch.add(read.subarray(1000, 1006));
    batch.writeTo(socket);
    read.fill(0); // had the socket kept the view, the bytes it sends would change with it
    const total = sent + 6;
    const received: Buffer[] = [];
    let length = 0;
    await new Promise<void>((resolve) => {
      reader.on('data', (d: Buffer) => {
        received.push(d);
        length += d.length;
        if (length >= total) resolve();
      });
      reader.resume();
    });
    expect(Buffer.concat(received).subarray(sent).toString()).toBe('marker');
  });
});
