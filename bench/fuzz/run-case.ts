// Sends one generated case over a real socket and waits until the broker has dealt with all of
// it: for the native protocol, the answer to a final ping (or the close); for MQTT, the close
// that follows the fuzzer's FIN or reset. Every frame the broker sends must decode.
import { connect as netConnect } from 'node:net';
import { Unpackr } from 'msgpackr';
import { WebSocket } from 'ws';
import { SUBPROTOCOLS } from '../../protocol/native.js';
import type { MqttCase } from './mqtt-inputs.js';
import { encodeNative, type NativeCase } from './native-inputs.js';

export type FuzzCase = NativeCase | MqttCase;

/** What became of a case; `problem` is set when the broker misbehaved (a stall or bad output). */
export interface CaseOutcome {
  readonly inputs: number;
  readonly problem: string | null;
}

/** The final ping's rid: no generated rid is this large. */
const FINAL_RID = Number.MAX_SAFE_INTEGER;
/** Upper bound for the broker to answer or close; only a stalled broker comes near it. */
export const CASE_TIMEOUT_MS = 15_000;

const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

export function inputCount(c: FuzzCase): number {
  return c.inputs.length;
}

/** `localAddress`: fuzz connections come from many loopback addresses, so per-host limits do not stop them all. */
export function runCase(
  c: FuzzCase,
  target: { nativeUrl: string; mqttPort: number },
  localAddress: string,
): Promise<CaseOutcome> {
  return c.protocol === 'native'
    ? runNativeCase(c, target.nativeUrl, localAddress)
    : runMqttCase(c, target.mqttPort, localAddress);
}

function runNativeCase(c: NativeCase, url: string, localAddress: string): Promise<CaseOutcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, SUBPROTOCOLS[c.encoding], {
      perMessageDeflate: false,
      localAddress,
      handshakeTimeout: CASE_TIMEOUT_MS,
    });
    let settled = false;
    const finish = (problem: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (c.leave === 'terminate' || ws.readyState !== WebSocket.OPEN) ws.terminate();
      else ws.close(1000);
      resolve({ inputs: c.inputs.length, problem });
    };
    const timer = setTimeout(
      () => finish(`native ${c.encoding}: no answer to the final ping and no close within ${CASE_TIMEOUT_MS} ms`),
      CASE_TIMEOUT_MS,
    );
    ws.on('error', () => finish(null)); // refused or reset: the broker's choice, checked by the control clients
    ws.on('close', () => finish(null));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      let frame: { rid?: unknown };
      try {
        if (isBinary !== (c.encoding === 'msgpack'))
          throw new Error(`a ${isBinary ? 'binary' : 'text'} frame on ${c.encoding}`);
        frame = (isBinary ? unpackr.unpack(data) : JSON.parse(data.toString('utf8'))) as { rid?: unknown };
      } catch (err) {
        return finish(
          `native ${c.encoding}: the broker sent a frame that does not decode (${(err as Error).message}): ${data.toString('hex').slice(0, 200)}`,
        );
      }
      if (frame.rid === FINAL_RID) finish(null);
    });
    ws.on('open', () => {
      if (c.logonAs !== null)
        ws.send(encodeNative(c.encoding, { op: 'logon', rid: 0, user: c.logonAs, password: 'pw' }), {
          binary: c.encoding === 'msgpack',
        });
      for (const input of c.inputs) ws.send(input.data, { binary: input.binary });
      ws.send(encodeNative(c.encoding, { op: 'ping', rid: FINAL_RID }), { binary: c.encoding === 'msgpack' });
    });
  });
}

function runMqttCase(c: MqttCase, port: number, localAddress: string): Promise<CaseOutcome> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port, localAddress });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({
        inputs: c.inputs.length,
        problem: `MQTT ${c.version}: the broker did not close within ${CASE_TIMEOUT_MS} ms of the client's ${c.leave === 'end' ? 'FIN' : 'reset'}`,
      });
    }, CASE_TIMEOUT_MS);
    socket.on('error', () => {}); // a reset by the broker after bad input is its right; 'close' follows
    socket.on('data', () => {}); // read what the broker sends, so it never waits on a full buffer
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ inputs: c.inputs.length, problem: null });
    });
    socket.once('connect', () => {
      if (c.connect !== null) socket.write(c.connect);
      const all = Buffer.concat(c.inputs as Buffer[]);
      const pieces: Buffer[] = [];
      if (c.writes === 'per-input') pieces.push(...c.inputs);
      else {
        const size = c.writes === 'whole' ? all.length || 1 : c.writes;
        for (let at = 0; at < all.length; at += size) pieces.push(all.subarray(at, at + size));
      }
      for (const piece of pieces) socket.write(piece);
      // A reset only once the bytes have reached the kernel, else they would be dropped unsent.
      if (c.leave === 'end') socket.end();
      else socket.write(Buffer.alloc(0), () => socket.destroy());
    });
  });
}
