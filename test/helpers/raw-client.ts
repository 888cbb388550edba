// A bare `ws` client speaking the native protocol frame by frame, for protocol-level tests.
import { WebSocket, type ClientOptions } from 'ws';
import { Packr } from 'msgpackr';
import { SUBPROTOCOLS, type Encoding } from '../../protocol/native.js';

const packr = new Packr({ useRecords: false });

export type Frame = Record<string, unknown>;

export class RawClient {
  readonly frames: Frame[] = [];
  private waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(
    readonly ws: WebSocket,
    readonly encoding: Encoding,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const frame = (isBinary ? packr.unpack(data) : JSON.parse(data.toString('utf8'))) as Frame;
      this.frames.push(frame);
      for (const w of [...this.waiters]) {
        if (w.pred(frame)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(frame);
        }
      }
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** `options`: the `ws` client's, e.g. `{ headers: { host } }` to name a vhost. */
  static open(url: string, encoding: Encoding, options?: ClientOptions): Promise<RawClient> {
    const ws = new WebSocket(url, SUBPROTOCOLS[encoding], options);
    const client = new RawClient(ws, encoding);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  static async logon(url: string, encoding: Encoding, user = 'tester'): Promise<RawClient> {
    const c = await RawClient.open(url, encoding);
    const ack = await c.request({ op: 'logon', rid: 0, user, password: 'pw' });
    if (ack.op !== 'ack') throw new Error(`logon failed: ${JSON.stringify(ack)}`);
    return c;
  }

  encode(frame: unknown): Buffer | string {
    return this.encoding === 'json' ? JSON.stringify(frame) : packr.pack(frame);
  }

  send(frame: unknown): void {
    this.ws.send(this.encode(frame));
  }

  /** Send raw bytes/text as they are (for malformed-frame tests). */
  sendRaw(data: Buffer | string, binary: boolean): void {
    this.ws.send(data, { binary });
  }

  /** The next frame (already received or future) satisfying pred. */
  next(pred: (f: Frame) => boolean = () => true): Promise<Frame> {
    const have = this.frames.find(pred);
    if (have !== undefined) {
      this.frames.splice(this.frames.indexOf(have), 1);
      return Promise.resolve(have);
    }
    return new Promise((resolve) => {
      this.waiters.push({
        pred,
        resolve: (f) => {
          this.frames.splice(this.frames.indexOf(f), 1);
          resolve(f);
        },
      });
    });
  }

  /** Send a command with a rid and wait for the ack or error carrying that rid. */
  request(frame: Frame & { rid: number }): Promise<Frame> {
    this.send(frame);
    return this.next((f) => f.rid === frame.rid && (f.op === 'ack' || f.op === 'error'));
  }

  messages(n: number, pred: (f: Frame) => boolean = () => true): Promise<Frame[]> {
    const out: Frame[] = [];
    return new Promise((resolve) => {
      const take = (): void => {
        if (out.length === n) return resolve(out);
        void this.next((f) => f.op === 'msg' && pred(f)).then((f) => {
          out.push(f);
          take();
        });
      };
      take();
    });
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
    return this.closed;
  }
}
