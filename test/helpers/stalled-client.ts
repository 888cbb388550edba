// A WebSocket client made of a bare TCP socket: it completes the handshake, logs on, subscribes,
// and then stops reading (socket.pause()), like a consumer stuck in a long GC pause or a dead app.
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  if (payload.length >= 126) throw new Error('test frames must be short');
  const mask = randomBytes(4);
  const frame = Buffer.alloc(2 + 4 + payload.length);
  frame[0] = 0x81;
  frame[1] = 0x80 | payload.length;
  mask.copy(frame, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i]! ^ mask[i % 4]!;
  return frame;
}

export interface StalledClient {
  socket: Socket;
  closed: Promise<void>;
}

/** Connect to a json listener, subscribe to `topic`, wait for the subscribe ack, then stop reading. */
export async function openStalledSubscriber(url: string, topic: string): Promise<StalledClient> {
  const { hostname, port, pathname } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(
    `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
      `Sec-WebSocket-Protocol: warden.v1.json\r\n\r\n`,
  );
  let seen = '';
  const received = (text: string): Promise<void> =>
    new Promise<void>((resolve) => {
      const check = (): boolean => {
        if (!seen.includes(text)) return false;
        socket.off('data', onData);
        resolve();
        return true;
      };
      const onData = (chunk: Buffer): void => {
        seen += chunk.toString('latin1');
        check();
      };
      if (!check()) socket.on('data', onData);
    });
  // RFC 6455 4.1: a client sends nothing more until the handshake response (uWS drops bytes that
  // arrive with the upgrade request).
  await received('\r\n\r\n');
  socket.write(maskedTextFrame(JSON.stringify({ op: 'logon', rid: 1, user: 'stalled' })));
  socket.write(maskedTextFrame(JSON.stringify({ op: 'subscribe', rid: 2, sid: 1, topic })));
  await received('"rid":2');
  socket.pause();
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  return { socket, closed };
}
