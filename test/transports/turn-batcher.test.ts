// Writes are coalesced per turn of the event loop, not per I/O callback: a subscriber fed by
// several publishers in one turn gets one socket write for all of it (bench:peers scenario 2b).
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BATCH_WRITE_NOW_BYTES, TurnBatcher, WriteBatch } from '../../server/transports/turn-batcher.js';
import { TcpConnection } from '../../server/transports/tcp-connection.js';
import pino from 'pino';
import { UnauthenticatedSockets } from '../../server/admission/unauthenticated-sockets.js';
import { BrokerStats } from '../../server/stats.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

/** A connected pair on 127.0.0.1: the broker's side and the peer's. */
async function socketPair(): Promise<{ ours: Socket; peer: Socket }> {
  let server!: Server;
  const accepted = new Promise<Socket>((resolve) => {
    server = createServer(resolve);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const peer = connect((server.address() as { port: number }).port, '127.0.0.1');
  sockets.push(peer);
  const ours = await accepted;
  sockets.push(ours);
  return { ours, peer };
}

function readBytes(peer: Socket, n: number): Promise<Buffer> {
  const got: Buffer[] = [];
  return new Promise((resolve) =>
    peer.on('data', (d: Buffer) => {
      got.push(d);
      if (Buffer.concat(got).length >= n) resolve(Buffer.concat(got));
    }),
  );
}

describe('the turn batcher', () => {
  it('writes what several callbacks of one turn sent to a socket with one write, in order', async () => {
    const { ours, peer } = await socketPair();
    const slot = new UnauthenticatedSockets(10, 10, new BrokerStats(), pino({ level: 'silent' })).take('127.0.0.1');
    expect(slot).not.toBeNull();
    const connection = new TcpConnection(ours, new TurnBatcher(), slot!);
    const writes: number[] = [];
    const write = ours.write.bind(ours) as (chunk: Buffer) => boolean;
    ours.write = ((chunk: Buffer) => {
      writes.push(chunk.length);
      return write(chunk);
    }) as typeof ours.write;

    // Three sends from three separate ticks of one turn, as three publishers' reads would make.
    let writtenWithinTurn = -1;
    await new Promise<void>((resolve) => {
      connection.send(Buffer.from('one,'), null);
      process.nextTick(() => {
        connection.send(Buffer.from('two,'), Buffer.from('2,'));
        process.nextTick(() => {
          connection.send(Buffer.from('three'), null);
          writtenWithinTurn = writes.length;
          resolve();
        });
      });
    });
    expect(writtenWithinTurn).toBe(0); // nothing written before the turn ends
    const received: Buffer[] = [];
    await new Promise<void>((resolve) =>
      peer.on('data', (d: Buffer) => {
        received.push(d);
        if (Buffer.concat(received).length >= 15) resolve();
      }),
    );
    expect(writes).toEqual([15]);
    expect(Buffer.concat(received).toString()).toBe('one,two,2,three');
  });

  it('writes a batch that reaches 64 KiB at once, and the rest at the end of the turn', async () => {
    const { ours, peer } = await socketPair();
    const slot = new UnauthenticatedSockets(10, 10, new BrokerStats(), pino({ level: 'silent' })).take('127.0.0.1');
    const connection = new TcpConnection(ours, new TurnBatcher(), slot!);
    const writes: number[] = [];
    const write = ours.write.bind(ours) as (chunk: Buffer) => boolean;
    ours.write = ((chunk: Buffer) => {
      writes.push(chunk.length);
      return write(chunk);
    }) as typeof ours.write;
    const chunk = Buffer.alloc(16 * 1024, 7);
    for (let i = 0; i < 5; i++) connection.send(chunk, null);
    // The fourth send filled the batch (64 KiB): written then, inside the turn; the fifth waits.
    expect(writes).toEqual([BATCH_WRITE_NOW_BYTES]);
    let length = 0;
    await new Promise<void>((resolve) =>
      peer.on('data', (d: Buffer) => {
        length += d.length;
        if (length >= 5 * chunk.length) resolve();
      }),
    );
    expect(writes).toEqual([BATCH_WRITE_NOW_BYTES, chunk.length]);
  });

  it("joins a fan-out's equal batches once and writes that buffer to each socket", async () => {
    const pairs = [await socketPair(), await socketPair(), await socketPair()];
    const written: Buffer[][] = pairs.map(() => []);
    pairs.forEach(({ ours }, i) => {
      const write = ours.write.bind(ours) as (chunk: Buffer) => boolean;
      ours.write = ((chunk: Buffer) => {
        written[i]!.push(chunk);
        return write(chunk);
      }) as typeof ours.write;
    });
    const batches = pairs.map(() => new WriteBatch());
    const [m1, m2, other] = [Buffer.from('frame one,'), Buffer.from('frame two'), Buffer.from('frame 2')];
    batches.forEach((batch, i) => {
      batch.add(m1);
      batch.add(i === 2 ? other : m2);
    });
    batches.forEach((batch, i) => batch.writeTo(pairs[i]!.ours));
    expect(written.map((w) => w.length)).toEqual([1, 1, 1]);
    expect(written[1]![0]).toBe(written[0]![0]); // the same chunks: the same join
    expect(written[2]![0]).not.toBe(written[0]![0]);
    const received = await Promise.all(pairs.map(({ peer }, i) => readBytes(peer, i === 2 ? 17 : 19)));
    expect(received.map((b) => b.toString())).toEqual([
      'frame one,frame two',
      'frame one,frame two',
      'frame one,frame 2',
    ]);
  });

  it('registers a connection once per turn and again in the next', async () => {
    const flushed: number[] = [];
    let turn = 0;
    const item = {
      batched: false,
      flushBatch: () => flushed.push(turn),
      terminate: () => undefined,
    };
    const batcher = new TurnBatcher();
    batcher.hold(item);
    batcher.hold(item);
    await new Promise((resolve) => setImmediate(resolve));
    turn = 1;
    batcher.hold(item);
    await new Promise((resolve) => setImmediate(resolve));
    expect(flushed).toEqual([0, 1]);
  });
});
