// The native-protocol load generator: the native counterpart of bench/mqtt-load, for the same
// figures over the SDK's wire format (WebSocket, msgpack). Raw `net` sockets upgraded by hand,
// frames encoded once up front (masked with key 0, stamp patched in place), subscribers that count
// deliveries with NativeFrameCounter (no decoding per message), latency from stamps in every
// SAMPLE_EVERY-th payload into an HDR histogram, the same windowed flow control as the MQTT
// fan-out (bench/load/fanout-window.ts), bounded in time, reporting the generator's own CPU.
import type { Socket } from 'node:net';
import { SUBPROTOCOL_MSGPACK } from '../../protocol/native.js';
import { BufferPool } from '../load/buffer-pool.js';
import { FanoutWindow } from '../load/fanout-window.js';
import {
  SAMPLE_EVERY,
  SETUP_TIMEOUT_MS,
  latencyRecorder,
  newHistogram,
  startRun,
  summarize,
  until,
  type LoadResult,
} from '../load/run-summary.js';
import { writeStamp, type StampFormat, type StampKind } from '../load/stamp.js';
import { NativeFrameCounter } from './frame-counter.js';
import { upgrade } from './handshake.js';
import { CLOSE_FRAME, commandFrame, publishTemplate, type NativePayload } from './frames.js';

export interface NativeClient {
  socket: Socket;
  counter: NativeFrameCounter;
}

/** Upgrade a socket to the msgpack subprotocol; feed every read to `counter`, answer pings, then `onData`. */
export async function openNativeClient(
  url: string,
  counter: NativeFrameCounter,
  onData: () => void = () => undefined,
): Promise<NativeClient> {
  const { socket, head } = await upgrade(url, SUBPROTOCOL_MSGPACK);
  socket.on('error', () => undefined);
  const onChunk = (chunk: Buffer): void => {
    counter.feed(chunk);
    const pongs = counter.takePongs();
    if (pongs !== null) socket.write(pongs);
    onData();
  };
  socket.on('data', onChunk);
  if (head.length > 0) onChunk(head);
  return { socket, counter };
}

/** Send one setup command and wait for its answer; throw with the broker's error if refused. */
export async function call(
  client: NativeClient,
  command: Record<string, unknown> & { op: string; rid: number },
): Promise<void> {
  const replies = client.counter.replies;
  const before = replies.length;
  client.socket.write(commandFrame(command));
  await until(
    () => replies.length > before || client.counter.closeCode !== null,
    SETUP_TIMEOUT_MS,
    `the answer to ${command.op}`,
  );
  const reply = replies[before];
  if (reply?.op !== 'ack' || reply.rid !== command.rid)
    throw new Error(`${command.op} refused: ${JSON.stringify(reply ?? { close: client.counter.closeCode })}`);
}

export function closeNativeClients(clients: readonly NativeClient[]): void {
  for (const c of clients) {
    c.socket.end(CLOSE_FRAME);
    c.socket.destroySoon();
  }
}

export interface NativeFanoutOptions {
  /** A native listener, ws://127.0.0.1:PORT/: the publisher's, and the subscribers' unless `subscriberUrls`. */
  url: string;
  /** Subscriber i connects to `subscriberUrls[i % length]` (e.g. the nodes of a cluster), default `url`. */
  subscriberUrls?: readonly string[];
  subscribers: number;
  seconds: number;
  /** At most this many messages published and not yet delivered to every subscriber. */
  window: number;
  /** The topic published to. */
  topic: string;
  /** The topic or filter subscribed to (default: the topic). */
  subscribeTopic?: string;
  /** The payload, holding `stampMarker(stampKind)` where the stamp goes (see frames.ts). */
  payload: NativePayload;
  stampKind: StampKind;
  /** Logon user names (default `sub<i>` and `publisher`); the password is `bench`. */
  subscriberUser?: (i: number) => string;
  publisherUser?: string;
  /** Stop after exactly this many messages (a multiple of SAMPLE_EVERY) if before `seconds`. */
  messages?: number;
  /**
   * Publish at this fixed rate (messages/s, every one stamped) instead of flooding the window:
   * latency at a known load rather than at saturation.
   */
  rate?: number;
  /** The broker process's CPU time so far, in ms. */
  brokerCpuMs?: () => number;
  /** Also called with each stamp read (tests, or latency kept by the caller). */
  onSample?: (stamp: number) => void;
  /**
   * Awaited once every client is set up, before the timed part (e.g. until the other nodes of a
   * cluster know the subscriptions, which reach them asynchronously).
   */
  beforePublish?: () => Promise<void>;
}

/** One publisher, N subscribers on one topic, plain (unacked) publishes flooded within a window. */
export async function runNativeFanout(o: NativeFanoutOptions): Promise<LoadResult> {
  const histogram = newHistogram();
  const flow = new FanoutWindow(o.subscribers, o.window);
  // SAMPLE_EVERY frames per buffer (paced: one); the first one's payload is stamped just before the write.
  const template = publishTemplate(o.topic, o.payload, o.stampKind, o.rate === undefined ? SAMPLE_EVERY : 1);
  const stamp: StampFormat = { kind: o.stampKind, offset: -template.stampFromEnd };
  const record = latencyRecorder(histogram);
  const extra = o.onSample;
  const onSample = extra === undefined ? record : (s: number): void => (record(s), extra(s));
  const clients: NativeClient[] = [];
  try {
    for (let i = 0; i < o.subscribers; i++) {
      const counter = new NativeFrameCounter({ stamp, onSample });
      let seen = 0;
      const onData = (): void => {
        const n = counter.deliveries;
        flow.add(n - seen);
        seen = n;
      };
      const urls = o.subscriberUrls ?? [o.url];
      const client = await openNativeClient(urls[i % urls.length]!, counter, onData);
      clients.push(client);
      await call(client, { op: 'logon', rid: 1, user: o.subscriberUser?.(i) ?? `sub${i}`, password: 'bench' });
      await call(client, { op: 'subscribe', rid: 2, sid: 1, topic: o.subscribeTopic ?? o.topic });
    }
    const publisher = await openNativeClient(o.url, new NativeFrameCounter());
    clients.push(publisher);
    await call(publisher, { op: 'logon', rid: 1, user: o.publisherUser ?? 'publisher', password: 'bench' });

    await o.beforePublish?.();
    const pool = new BufferPool(template.bytes);
    const pub = {
      socket: publisher.socket,
      pool,
      stamp: (buf: Buffer, ms: number) => writeStamp(buf, template.stampAt, o.stampKind, ms),
    };
    const start = startRun(o.brokerCpuMs);
    if (o.rate !== undefined) await flow.pace(pub, o.rate, o.seconds);
    else await flow.flood(pub, { seconds: o.seconds, ...(o.messages === undefined ? {} : { messages: o.messages }) });
    await flow.drain();
    // A refused publish (e.g. not entitled) is answered with an error frame and delivered to no one.
    const refusal = publisher.counter.replies.find((r) => r.op === 'error');
    if (refusal !== undefined) throw new Error(`publish refused: ${JSON.stringify(refusal)}`);
    const unreadableStamps = clients.reduce((sum, c) => sum + c.counter.unreadable, 0);
    return summarize(
      flow.published,
      flow.delivered,
      flow.published * o.subscribers,
      start,
      histogram,
      unreadableStamps,
    );
  } finally {
    closeNativeClients(clients);
    histogram.destroy();
  }
}
