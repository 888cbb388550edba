// The WebSocket opening handshake (RFC 6455 section 4) written by hand on a `net` socket, so the
// native load generator owns the raw byte stream afterwards: no `ws` object, no per-frame events.
// Loopback only: every load run targets 127.0.0.1.
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_RESPONSE_BYTES = 16 * 1024;
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface UpgradedSocket {
  socket: Socket;
  /** Bytes the broker sent after its response headers (the start of the frame stream), maybe empty. */
  head: Buffer;
}

/** Open `url` (ws://127.0.0.1:PORT/path) offering `subprotocol`; resolve once the broker answered 101 with it. */
export async function upgrade(url: string, subprotocol: string): Promise<UpgradedSocket> {
  const target = new URL(url);
  if (target.protocol !== 'ws:') throw new Error(`${url}: only ws:// (no TLS) is supported by the raw generator`);
  if (target.hostname !== '127.0.0.1' && target.hostname !== 'localhost')
    throw new Error(`${url}: load runs target 127.0.0.1 only`);
  const port = Number(target.port || 80);
  const key = randomBytes(16).toString('base64');
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  socket.setTimeout(HANDSHAKE_TIMEOUT_MS);
  try {
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write(
      [
        `GET ${target.pathname}${target.search} HTTP/1.1`,
        `Host: ${target.host}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${key}`,
        'Sec-WebSocket-Version: 13',
        `Sec-WebSocket-Protocol: ${subprotocol}`,
        '',
        '',
      ].join('\r\n'),
    );
    const { headers, head } = await readResponse(socket);
    const status = headers.split('\r\n', 1)[0]!;
    if (!/^HTTP\/1\.1 101 /.test(status)) throw new Error(`${url}: upgrade refused: ${status}`);
    const field = (name: string): string | undefined =>
      headers
        .split('\r\n')
        .find((line) => line.toLowerCase().startsWith(`${name}:`))
        ?.slice(name.length + 1)
        .trim();
    const expected = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    if (field('sec-websocket-accept') !== expected) throw new Error(`${url}: bad Sec-WebSocket-Accept`);
    if (field('sec-websocket-protocol') !== subprotocol)
      throw new Error(`${url}: subprotocol ${subprotocol} not selected`);
    socket.setTimeout(0);
    return { socket, head };
  } catch (err) {
    socket.destroy();
    throw err;
  }
}

/** Read until the blank line ending the response headers; what follows belongs to the frames. */
function readResponse(socket: Socket): Promise<{ headers: string; head: Buffer }> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end >= 0) {
        done();
        resolve({ headers: received.subarray(0, end).toString('latin1'), head: received.subarray(end + 4) });
      } else if (received.length > MAX_RESPONSE_BYTES) {
        done();
        reject(new Error('upgrade response headers too long'));
      }
    };
    const onEnd = (): void => {
      done();
      reject(new Error('connection closed during the upgrade'));
    };
    const onTimeout = (): void => {
      done();
      reject(new Error('no upgrade response in time'));
    };
    const done = (): void => {
      socket.off('data', onData).off('end', onEnd).off('error', reject).off('timeout', onTimeout);
    };
    socket.on('data', onData).once('end', onEnd).once('error', reject).once('timeout', onTimeout);
  });
}
