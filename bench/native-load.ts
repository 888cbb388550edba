// Load-generator pieces for the native protocol, shared by the benchmarks: open and log on,
// setup calls, and a publish flood with windowed flow control (pings), bounded in time.
import { WebSocket } from 'ws';
import { Packr } from 'msgpackr';
import { SUBPROTOCOLS, type Encoding } from '../protocol/native.js';

const packr = new Packr({ useRecords: false });

export const now = (): number => performance.timeOrigin + performance.now();

export function encodeFrame(encoding: Encoding, frame: unknown): Buffer {
  return encoding === 'json' ? Buffer.from(JSON.stringify(frame)) : packr.pack(frame);
}

/** `host`: the Host header (a vhost's name); default the URL's. */
export async function openNative(url: string, encoding: Encoding, host?: string): Promise<WebSocket> {
  const ws = new WebSocket(url, SUBPROTOCOLS[encoding], {
    perMessageDeflate: false,
    ...(host === undefined ? {} : { headers: { host } }),
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return ws;
}

/** Send a command and wait for the first frame back (setup sends one command at a time). */
export async function setupCall(ws: WebSocket, encoding: Encoding, frame: Record<string, unknown>): Promise<void> {
  const reply = new Promise<Buffer>((resolve) => ws.once('message', (d: Buffer) => resolve(d)));
  ws.send(encodeFrame(encoding, frame), { binary: encoding === 'msgpack' });
  const text = (await reply).toString('latin1');
  if (text.includes('error')) throw new Error(`bench setup refused: ${JSON.stringify(frame)}: ${text}`);
}

export interface FloodOptions {
  seconds: number;
  /** At most this many publishes in flight: a ping every half window, at most two outstanding. */
  window: number;
  /** Called before each send (e.g. to stamp a timestamp into the frame). */
  beforeSend?: () => void;
}

/** Publish `frame` as fast as the broker acks, for `seconds`. Returns how many were sent. */
export async function floodPublish(
  publisher: WebSocket,
  encoding: Encoding,
  frame: Buffer,
  options: FloodOptions,
): Promise<number> {
  let acked = 0;
  let waiting: (() => void) | null = null;
  const onMessage = (): void => {
    acked++;
    waiting?.();
  };
  publisher.on('message', onMessage);
  const half = Math.max(1, options.window >> 1);
  const binary = encoding === 'msgpack';
  const deadline = now() + options.seconds * 1000;
  let published = 0;
  let pings = 0;
  while (now() < deadline) {
    for (let i = 0; i < half; i++) {
      options.beforeSend?.();
      publisher.send(frame, { binary });
      published++;
    }
    publisher.send(encodeFrame(encoding, { op: 'ping', rid: ++pings }), { binary });
    if (pings - acked >= 2) await new Promise<void>((resolve) => (waiting = resolve));
    waiting = null;
  }
  publisher.off('message', onMessage);
  return published;
}

/** Wait (checking every 5 ms) until `done()` or the timeout; returns whether it was done. */
export async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = now() + timeoutMs;
  while (!done() && now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return done();
}

export function median<T>(runs: readonly T[], key: (run: T) => number): T {
  return [...runs].sort((a, b) => key(a) - key(b))[Math.floor(runs.length / 2)]!;
}
