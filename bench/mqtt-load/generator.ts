// The MQTT load generator: raw `net` sockets to 127.0.0.1, packets encoded once up front,
// subscribers that count deliveries with MqttStreamCounter (no object per message), latency from
// timestamps stamped into every SAMPLE_EVERY-th payload, recorded in an HDR histogram. Every run
// is bounded in time (its flood phase, then a bounded drain) and reports the generator's own CPU.
// The fan-out's flow control and the run figures are shared with the native generator (bench/load/).
import { connect, type Socket } from 'node:net';
import { MqttStreamCounter } from './stream-counter.js';
import {
  BufferPool,
  DISCONNECT,
  STAMP_OFFSET,
  connectPacket,
  multiTopicTemplate,
  publishTemplate,
  subscribePacket,
  type Credentials,
} from './packets.js';
import { FanoutWindow } from '../load/fanout-window.js';
import {
  DRAIN_TIMEOUT_MS,
  SAMPLE_EVERY,
  SETUP_TIMEOUT_MS,
  latencyRecorder,
  newHistogram,
  now,
  startRun,
  summarize,
  until,
  type LoadResult,
} from '../load/run-summary.js';
import { writeStamp, type StampFormat, type StampKind } from '../load/stamp.js';

// The run pieces moved to bench/load/ (shared with the native generator); still exported here.
export { SAMPLE_EVERY, now, type LoadResult } from '../load/run-summary.js';

const CONNACK = 2;
const SUBACK = 9;

export interface Client {
  socket: Socket;
  counter: MqttStreamCounter;
}

/** Open a socket, CONNECT (MQTT 3.1.1, clean session), wait for CONNACK. `onData` runs after each read. */
export async function openClient(
  port: number,
  clientId: string,
  counter: MqttStreamCounter,
  onData: () => void,
  credentials?: Credentials,
): Promise<Client> {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    counter.feed(chunk);
    const acks = counter.takeAcks();
    if (acks !== null) socket.write(acks);
    onData();
  });
  socket.write(connectPacket(clientId, credentials));
  await until(() => counter.counts[CONNACK]! >= 1, SETUP_TIMEOUT_MS, `CONNACK for ${clientId}`);
  return { socket, counter };
}

export async function subscribe(client: Client, topic: string, qos: 0 | 1): Promise<void> {
  const before = client.counter.counts[SUBACK]!;
  client.socket.write(subscribePacket(topic, qos));
  await until(() => client.counter.counts[SUBACK]! > before, SETUP_TIMEOUT_MS, `SUBACK for ${topic}`);
}

export function closeAll(clients: readonly Client[]): void {
  for (const c of clients) {
    c.socket.end(DISCONNECT);
    c.socket.destroySoon();
  }
}

function writeAsync(socket: Socket, pool: BufferPool, buf: Buffer): boolean {
  return socket.write(buf, () => pool.release(buf));
}

export interface FanoutOptions {
  port: number;
  subscribers: number;
  seconds: number;
  payloadBytes: number;
  /** At most this many messages published and not yet delivered to every subscriber. */
  window: number;
  /** The topic published to (default `bench/fanout`). */
  topic?: string;
  /** The filter subscribed to (default: the topic). */
  subscribeTopic?: string;
  /**
   * The payload, with `stampMarker(stampKind)` where the stamp goes (default: `payloadBytes` zeroed
   * bytes, binary stamp at STAMP_OFFSET). Subscribers look for the stamp at the same distance from
   * the end of what they receive, so a projected JSON object must keep the stamp field last
   * (bench/load/stamp.ts).
   */
  payload?: { bytes: Buffer; stampKind: StampKind };
  /** User names (CONNECT with a dummy password), e.g. for an entitlement policy; default none. */
  subscriberUser?: (i: number) => string;
  publisherUser?: string;
  /** Stop after exactly this many messages (a multiple of SAMPLE_EVERY) if before `seconds`. */
  messages?: number;
  /**
   * Publish at this fixed rate (messages/s, every one stamped) instead of flooding the window:
   * latency at a known load rather than at saturation.
   */
  rate?: number;
  /** Prefix for client ids (unique per run). */
  runId: string;
  /** The broker process's CPU time so far, in ms. */
  brokerCpuMs?: () => number;
}

const credentialsOf = (user: string | undefined): Credentials | undefined =>
  user === undefined ? undefined : { username: user, password: 'bench' };

/** Scenario 1 (and 4 with a trade payload and users): one publisher, N subscribers on one topic, QoS 0, flooded within a window. */
export async function runFanout(o: FanoutOptions): Promise<LoadResult> {
  const topic = o.topic ?? 'bench/fanout';
  const histogram = newHistogram();
  const flow = new FanoutWindow(o.subscribers, o.window);
  // SAMPLE_EVERY packets per buffer (paced: one); the first one's payload is stamped just before the write.
  const template = publishTemplate(
    topic,
    o.payload?.bytes ?? o.payloadBytes,
    0,
    o.rate === undefined ? SAMPLE_EVERY : 1,
    o.payload?.stampKind,
  );
  const stamp: StampFormat =
    o.payload === undefined
      ? { kind: 'binary', offset: STAMP_OFFSET }
      : { kind: o.payload.stampKind, offset: -template.stampFromEnd };
  const onSample = latencyRecorder(histogram);
  const clients: Client[] = [];
  try {
    for (let i = 0; i < o.subscribers; i++) {
      const counter = new MqttStreamCounter({ stamp, onSample });
      let seen = 0;
      const onData = (): void => {
        const n = counter.publishes;
        flow.add(n - seen);
        seen = n;
      };
      const client = await openClient(
        o.port,
        `${o.runId}-sub${i}`,
        counter,
        onData,
        credentialsOf(o.subscriberUser?.(i)),
      );
      clients.push(client);
      await subscribe(client, o.subscribeTopic ?? topic, 0);
    }
    const publisher = await openClient(
      o.port,
      `${o.runId}-pub`,
      new MqttStreamCounter(),
      () => undefined,
      credentialsOf(o.publisherUser),
    );
    clients.push(publisher);

    const pool = new BufferPool(template.bytes);
    const start = startRun(o.brokerCpuMs);
    const stampBuffer = (buf: Buffer, ms: number): void => writeStamp(buf, template.stampAt, stamp.kind, ms);
    const pub = { socket: publisher.socket, pool, stamp: stampBuffer };
    if (o.rate !== undefined) await flow.pace(pub, o.rate, o.seconds);
    else await flow.flood(pub, { seconds: o.seconds, ...(o.messages === undefined ? {} : { messages: o.messages }) });
    await flow.drain();
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
    closeAll(clients);
    histogram.destroy();
  }
}

export interface Qos1Options {
  port: number;
  seconds: number;
  payloadBytes: number;
  /** Publishes awaiting their PUBACK, at most. */
  inFlight: number;
  topic?: string;
  runId: string;
  /** The broker process's CPU time so far, in ms. */
  brokerCpuMs?: () => number;
}

/** Scenario 5: one QoS 1 publisher with a bounded in-flight window, one QoS 1 subscriber. */
export async function runQos1(o: Qos1Options): Promise<LoadResult> {
  const topic = o.topic ?? 'bench/qos1';
  const histogram = newHistogram();
  const onSample = latencyRecorder(histogram);
  const clients: Client[] = [];
  try {
    const subCounter = new MqttStreamCounter({ stampOffset: STAMP_OFFSET, onSample, ackQos1: true });
    const subscriber = await openClient(o.port, `${o.runId}-sub`, subCounter, () => undefined);
    clients.push(subscriber);
    await subscribe(subscriber, topic, 1);

    const template = publishTemplate(topic, o.payloadBytes, 1);
    const pool = new BufferPool(template.bytes);
    let published = 0;
    let nextId = 1;
    let deadline = 0; // topUp does nothing until the run starts
    let pubCounter: MqttStreamCounter;
    // Top the window up after every read of PUBACKs: one corked write for all the new publishes.
    const topUp = (): void => {
      const free = o.inFlight - (published - pubCounter.pubacks);
      if (free <= 0 || now() >= deadline) return;
      const socket = publisher.socket;
      socket.cork();
      for (let k = 0; k < free; k++) {
        const buf = pool.get();
        buf.writeUInt16BE(nextId, template.idAt);
        nextId = nextId === 65535 ? 1 : nextId + 1;
        buf.writeDoubleLE(published % SAMPLE_EVERY === 0 ? now() : 0, template.stampAt);
        writeAsync(socket, pool, buf);
        published++;
      }
      socket.uncork();
    };
    pubCounter = new MqttStreamCounter();
    const publisher = await openClient(o.port, `${o.runId}-pub`, pubCounter, topUp);
    clients.push(publisher);

    const start = startRun(o.brokerCpuMs);
    deadline = start.started + o.seconds * 1000;
    topUp();
    // Restart the window if it stalls (a broker that dropped a PUBACK would otherwise end the run).
    while (now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      if (published - pubCounter.pubacks >= o.inFlight) continue;
      topUp();
    }
    const drainEnd = now() + DRAIN_TIMEOUT_MS;
    while (subCounter.publishes < published && now() < drainEnd) await new Promise((r) => setTimeout(r, 2));
    return summarize(published, subCounter.publishes, published, start, histogram);
  } finally {
    closeAll(clients);
    histogram.destroy();
  }
}

export interface ManyTopicsOptions {
  port: number;
  /** Publishers, and as many subscribers (subscriber i takes publisher i's topics). */
  publishers: number;
  /** Topics in all, split evenly over the publishers: `t/<p>/<k>`, k < topics / publishers. */
  topics: number;
  seconds: number;
  payloadBytes: number;
  /** Per publisher: at most this many of its messages published and not yet delivered. */
  window: number;
  runId: string;
  brokerCpuMs?: () => number;
}

/**
 * Scenario 2: `publishers` QoS 0 publishers over `topics` topics `t/<p>/<k>`; publisher p cycles
 * through its own topics t/p/0 .. t/p/(K-1) (one buffer of K PUBLISH packets, one per topic, the
 * first one stamped). Subscriber i subscribes to the wildcard filter `t/<i>/+`, so every message
 * has exactly one subscriber and every subscriber receives all K topics of one publisher.
 * Each publisher is flooded within its own window. Figure: deliveries/s over all subscribers.
 */
export async function runManyTopics(o: ManyTopicsOptions): Promise<LoadResult> {
  const perPublisher = Math.floor(o.topics / o.publishers);
  if (perPublisher < 1 || perPublisher * o.publishers !== o.topics)
    throw new Error('topics must be a multiple of publishers');
  // A publisher writes its topics' packets as one buffer, so a smaller window never lets it write.
  if (o.window < perPublisher)
    throw new Error(`window must be at least topics / publishers (${perPublisher}) for the many-topics scenario`);
  const histogram = newHistogram();
  const onSample = latencyRecorder(histogram);
  const published = new Float64Array(o.publishers);
  const delivered = new Float64Array(o.publishers);
  let wake: (() => void) | null = null;
  const lowWater = o.window / 2;
  const clients: Client[] = [];
  try {
    for (let i = 0; i < o.publishers; i++) {
      const counter = new MqttStreamCounter({ stampOffset: STAMP_OFFSET, onSample });
      const client = await openClient(o.port, `${o.runId}-sub${i}`, counter, () => {
        delivered[i] = counter.publishes;
        if (wake !== null && published[i]! - delivered[i]! <= lowWater) {
          const w = wake;
          wake = null;
          w();
        }
      });
      clients.push(client);
      await subscribe(client, `t/${i}/+`, 0);
    }
    const publishers: { socket: Socket; pool: BufferPool; stampAt: number }[] = [];
    for (let p = 0; p < o.publishers; p++) {
      const client = await openClient(o.port, `${o.runId}-pub${p}`, new MqttStreamCounter(), () => undefined);
      clients.push(client);
      const template = multiTopicTemplate(
        Array.from({ length: perPublisher }, (_, k) => `t/${p}/${k}`),
        o.payloadBytes,
      );
      publishers.push({ socket: client.socket, pool: new BufferPool(template.bytes), stampAt: template.stampAt });
    }

    const start = startRun(o.brokerCpuMs);
    const deadline = start.started + o.seconds * 1000;
    while (now() < deadline) {
      let blocked: Socket | null = null;
      for (let p = 0; p < o.publishers; p++) {
        const pub = publishers[p]!;
        const batches = Math.floor((o.window - (published[p]! - delivered[p]!)) / perPublisher);
        if (batches <= 0) continue;
        pub.socket.cork();
        for (let b = 0; b < batches; b++) {
          const buf = pub.pool.get();
          buf.writeDoubleLE(now(), pub.stampAt);
          if (!writeAsync(pub.socket, pub.pool, buf)) blocked = pub.socket;
          published[p] = published[p]! + perPublisher;
        }
        pub.socket.uncork();
      }
      const progress = new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
      if (blocked !== null) {
        const socket = blocked;
        await Promise.race([new Promise((r) => socket.once('drain', r)), new Promise((r) => setTimeout(r, 100))]);
      }
      await progress;
      wake = null;
    }
    const sum = (a: Float64Array): number => a.reduce((x, y) => x + y, 0);
    const expected = sum(published);
    const drainEnd = now() + DRAIN_TIMEOUT_MS;
    while (sum(delivered) < expected && now() < drainEnd) await new Promise((r) => setTimeout(r, 2));
    return summarize(expected, sum(delivered), expected, start, histogram);
  } finally {
    closeAll(clients);
    histogram.destroy();
  }
}
