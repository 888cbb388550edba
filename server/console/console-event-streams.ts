// Live updates for open console pages, as Server-Sent Events: the chart history once, then one
// sample per interval. Bounded: at most maxEventStreams at once, and a page that stops reading is
// dropped once its unsent bytes pass a limit, rather than held in memory.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConsoleSample, ConsoleSampler } from './console-sampler.js';
import { CONSOLE_SECURITY_HEADERS } from './console-assets.js';

/** Unsent bytes a stream may hold beyond its history before it is closed. */
const MAX_UNSENT_BYTES = 1024 * 1024;
/** How long a browser waits before it reconnects a broken stream. */
const RETRY_MS = 5000;

/** `event: history`: what the page's charts start from. */
export interface ConsoleHistory {
  readonly intervalMs: number;
  readonly historyMs: number;
  readonly samples: readonly ConsoleSample[];
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class ConsoleEventStreams {
  private open = 0;

  constructor(
    private readonly sampler: ConsoleSampler,
    private readonly maxStreams: number,
  ) {}

  /** Streams open now. */
  get size(): number {
    return this.open;
  }

  /** False when maxStreams are open (the caller answers 503). `signedIn` is asked before each sample. */
  serve(req: IncomingMessage, res: ServerResponse, signedIn: () => boolean): boolean {
    if (this.open >= this.maxStreams) return false;
    this.open++;
    res.writeHead(200, {
      ...CONSOLE_SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      // A buffering proxy (nginx) would hold the samples back.
      'X-Accel-Buffering': 'no',
    });
    const { intervalMs, historyMs } = this.sampler.options;
    const history: ConsoleHistory = { intervalMs, historyMs, samples: this.sampler.history() };
    const first = `retry: ${RETRY_MS}\n\n${event('history', history)}`;
    res.write(first);
    const limit = Buffer.byteLength(first) + MAX_UNSENT_BYTES;
    const unsubscribe = this.sampler.subscribe((sample) => {
      if (!signedIn()) {
        // The page sees the stream end and asks whether it is still signed in.
        res.end(event('signed-out', {}));
        return;
      }
      if (res.writableLength > limit) {
        res.destroy();
        return;
      }
      res.write(event('sample', sample));
    });
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      this.open--;
      unsubscribe();
    };
    res.once('close', close);
    req.once('close', close);
    return true;
  }
}
