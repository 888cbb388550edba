// A raw native-protocol client for attacks: `ws` on the JSON subprotocol (frames readable in the
// report), requests answered by rid, deliveries counted, and how the connection ended.
import WebSocket from 'ws';

interface Frame {
  op: string;
  rid?: number;
  code?: string;
  message?: string;
  topic?: string;
  data?: unknown;
}

export class RawNative {
  deliveries = 0;
  readonly deliveredTopics: string[] = [];
  /** Error frames without a rid (refused publishes without an ack). */
  readonly errors: Frame[] = [];
  closeCode: number | null = null;
  closeReason = '';
  readonly closed: Promise<void>;
  private nextRid = 1;
  private readonly pending = new Map<number, (frame: Frame | null) => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.onFrame(JSON.parse(data.toString('utf8')) as Frame));
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString('utf8');
        for (const answer of this.pending.values()) answer(null);
        this.pending.clear();
        resolve();
      }),
    );
  }

  static async open(url: string, timeoutMs = 10_000): Promise<RawNative> {
    const ws = new WebSocket(url, 'warden.v1.json', { handshakeTimeout: timeoutMs, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return new RawNative(ws);
  }

  /** Opens and logs on; throws unless the logon is acknowledged. */
  static async logOn(url: string, user: string, password = 'x', timeoutMs = 10_000): Promise<RawNative> {
    const client = await RawNative.open(url, timeoutMs);
    const answer = await client.request({ op: 'logon', user, password }, timeoutMs);
    if (answer?.op !== 'ack') {
      client.close();
      throw new Error(`logon of ${user} refused: ${describe(answer)}`);
    }
    return client;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a command with a fresh rid; resolves with its answer (ack or error frame), null on close or timeout. */
  request(command: Record<string, unknown>, timeoutMs = 10_000): Promise<Frame | null> {
    if (!this.isOpen) return Promise.resolve(null);
    const rid = this.nextRid++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => answer(null), timeoutMs);
      const answer = (frame: Frame | null): void => {
        clearTimeout(timer);
        this.pending.delete(rid);
        resolve(frame);
      };
      this.pending.set(rid, answer);
      this.ws.send(JSON.stringify({ ...command, rid }));
    });
  }

  /** Sends a frame as is (no rid, no answer awaited). */
  sendRaw(frame: string): void {
    this.ws.send(frame);
  }

  close(): void {
    this.ws.terminate();
  }

  /** How the broker ended this connection, or "nothing (connection kept)". */
  endReason(): string {
    return this.closeCode === null
      ? 'nothing (connection kept)'
      : `close ${this.closeCode}${this.closeReason === '' ? '' : ` ${this.closeReason}`}`;
  }

  private onFrame(frame: Frame): void {
    if (frame.op === 'msg') {
      this.deliveries++;
      if (this.deliveredTopics.length < 100) this.deliveredTopics.push(frame.topic ?? '');
      return;
    }
    const answer = frame.rid === undefined ? undefined : this.pending.get(frame.rid);
    if (answer !== undefined) answer(frame);
    else if (frame.op === 'error') this.errors.push(frame);
  }
}

/** How many of a series of subscribes were acknowledged, and the other answers by kind. */
export interface SubscribeTally {
  accepted: number;
  refusals: Map<string, number>;
  /** The refusals as `N x what`, comma-separated; '' when there were none. */
  refused: string;
}

/**
 * Sends subscribes sid 1..count (`command(sid)` builds each), in batches of 50 answered in order, so
 * the broker is never given more than that at once; stops if the connection closes.
 */
export async function subscribeInBatches(
  client: RawNative,
  count: number,
  command: (sid: number) => Record<string, unknown>,
): Promise<SubscribeTally> {
  let accepted = 0;
  const refusals = new Map<string, number>();
  for (let sid = 1; sid <= count && client.isOpen; sid += 50) {
    const batch = [];
    for (let i = sid; i < Math.min(sid + 50, count + 1); i++)
      batch.push(client.request({ op: 'subscribe', sid: i, ...command(i) }, 30_000));
    for (const answer of await Promise.all(batch)) {
      if (answer?.op === 'ack') accepted++;
      else refusals.set(describe(answer), (refusals.get(describe(answer)) ?? 0) + 1);
    }
  }
  const refused = [...refusals].map(([what, n]) => `${n}x ${what}`).join(', ');
  return { accepted, refusals, refused };
}

/** An answer frame as text for the report: `ack`, `error CODE`, or `no answer`. */
export function describe(frame: Frame | null): string {
  if (frame === null) return 'no answer';
  return frame.op === 'error' ? `error ${frame.code ?? '?'}` : frame.op;
}
