// Scenario 2b, many publishers: the most common MQTT workload, many devices each publishing to its
// own topics, read by a few consumers. Unlike scenario 2 (many topics), whose publishers write 20
// PUBLISH packets per socket write and whose subscribers each read one publisher, each consumer
// here is fed by many devices, and a device writes only what it is due, so the broker reads small
// segments from many sockets: a broker that writes after every read (rather than once per turn
// of its event loop) makes one write syscall per few deliveries.
//
// Device p (p < publishers) cycles over its own `topicsPerPublisher` topics
// `sensors/<(p + k) mod consumers>/dev<p>` (k < topicsPerPublisher); consumer i subscribes to
// `sensors/<i>/#`. Each message has exactly one subscriber, and each consumer reads
// `topicsPerPublisher` devices. At most `window` messages are published and not yet delivered (over
// all devices); once per turn of its own event loop the generator shares the free room out over
// the devices, and each device writes its share in one write (or in writes of at most
// `maxPerWrite` packets; 1 = one PUBLISH per write, which costs the generator a syscall per
// message). When the broker keeps up, shares are small and so are the segments it reads. Every
// SAMPLE_EVERY-th message is stamped for latency.
import type { Socket } from 'node:net';
import { MqttStreamCounter } from './stream-counter.js';
import { BufferPool, STAMP_OFFSET, publishTemplate } from './packets.js';
import { closeAll, openClient, subscribe, type Client } from './generator.js';
import {
  DRAIN_TIMEOUT_MS,
  SAMPLE_EVERY,
  latencyRecorder,
  newHistogram,
  now,
  startRun,
  summarize,
  type LoadResult,
} from '../load/run-summary.js';

export interface ManyPublishersOptions {
  port: number;
  /** Devices, each on its own connection. */
  publishers: number;
  /** Topics per device (at most `consumers`: each of a device's topics goes to another consumer). */
  topicsPerPublisher: number;
  /** Consumers, consumer i on `sensors/<i>/#`. */
  consumers: number;
  seconds: number;
  payloadBytes: number;
  /** Messages published and not yet delivered, at most, over all devices. */
  window: number;
  /** PUBLISH packets per socket write, at most (default: all of a device's share of a top-up). */
  maxPerWrite?: number;
  runId: string;
  brokerCpuMs?: () => number;
}

/** The topic device `p` publishes to on its `k`-th message of a cycle. */
export function deviceTopic(p: number, k: number, consumers: number): string {
  return `sensors/${(p + k) % consumers}/dev${p}`;
}

interface Device {
  socket: Socket;
  /** One pool per topic: a buffer stays the socket's until its write callback. */
  pools: BufferPool[];
  /** Per topic, where its payload's stamp sits (topics differ in length). */
  stampAt: number[];
  /** The next of its topics. */
  next: number;
}

export async function runManyPublishers(o: ManyPublishersOptions): Promise<LoadResult> {
  if (!(o.topicsPerPublisher >= 1 && o.topicsPerPublisher <= o.consumers))
    throw new Error(`topics per publisher must be in 1..${o.consumers} (the consumers)`);
  if (!(o.window >= 1)) throw new Error('window must be at least 1');
  const perWrite = o.maxPerWrite ?? Number.POSITIVE_INFINITY;
  if (!(perWrite >= 1)) throw new Error('PUBLISH packets per write must be at least 1');
  const histogram = newHistogram();
  const onSample = latencyRecorder(histogram);
  const counters: MqttStreamCounter[] = [];
  const clients: Client[] = [];
  let published = 0;
  let delivered = 0;
  let deadline = 0; // nothing is published until the run starts
  let cursor = 0;
  let topUpQueued = false;
  const devices: Device[] = [];

  // The window's free room, shared out over the devices (one more for the first `extra` from the
  // cursor on), each device's share written in writes of at most `perWrite` PUBLISH packets.
  const topUp = (): void => {
    topUpQueued = false;
    const free = o.window - (published - delivered);
    if (free <= 0 || now() >= deadline) return;
    const share = Math.floor(free / devices.length);
    const extra = free % devices.length;
    for (let j = 0; j < devices.length; j++) {
      const device = devices[(cursor + j) % devices.length]!;
      let n = share + (j < extra ? 1 : 0);
      while (n > 0) {
        const inWrite = Math.min(n, perWrite);
        n -= inWrite;
        if (inWrite > 1) device.socket.cork();
        for (let m = 0; m < inWrite; m++) publishOne(device);
        if (inWrite > 1) device.socket.uncork();
      }
    }
    cursor = (cursor + extra) % devices.length;
  };
  const publishOne = (device: Device): void => {
    const k = device.next;
    const pool = device.pools[k]!;
    device.next = k + 1 === device.pools.length ? 0 : k + 1;
    const buf = pool.get();
    buf.writeDoubleLE(published % SAMPLE_EVERY === 0 ? now() : 0, device.stampAt[k]!);
    device.socket.write(buf, () => pool.release(buf));
    published++;
  };
  const onDelivery = (): void => {
    if (!topUpQueued) {
      topUpQueued = true;
      setImmediate(topUp);
    }
  };

  try {
    for (let i = 0; i < o.consumers; i++) {
      const counter = new MqttStreamCounter({ stampOffset: STAMP_OFFSET, onSample });
      counters.push(counter);
      let seen = 0;
      const client = await openClient(o.port, `${o.runId}-consumer${i}`, counter, () => {
        delivered += counter.publishes - seen;
        seen = counter.publishes;
        onDelivery();
      });
      clients.push(client);
      await subscribe(client, `sensors/${i}/#`, 0);
    }
    for (let p = 0; p < o.publishers; p++) {
      const client = await openClient(o.port, `${o.runId}-dev${p}`, new MqttStreamCounter(), () => undefined);
      clients.push(client);
      const templates = Array.from({ length: o.topicsPerPublisher }, (_, k) =>
        publishTemplate(deviceTopic(p, k, o.consumers), o.payloadBytes, 0),
      );
      devices.push({
        socket: client.socket,
        pools: templates.map((t) => new BufferPool(t.bytes)),
        stampAt: templates.map((t) => t.stampAt),
        next: 0,
      });
    }

    const start = startRun(o.brokerCpuMs);
    deadline = start.started + o.seconds * 1000;
    topUp();
    // A window that stalls (a broker that dropped messages) is topped up again every 50 ms.
    while (now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      onDelivery();
    }
    const drainEnd = now() + DRAIN_TIMEOUT_MS;
    while (delivered < published && now() < drainEnd) await new Promise((r) => setTimeout(r, 2));
    return summarize(published, delivered, published, start, histogram);
  } finally {
    closeAll(clients);
    histogram.destroy();
  }
}
