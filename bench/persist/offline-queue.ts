// bench:persist scenario 1: QoS 1 to an offline persistent subscriber, then drained.
// A subscriber connects with Clean Session 0 (MQTT 3.1.1), subscribes at QoS 1 and disconnects,
// so the broker keeps its session. One publisher then publishes `messages` QoS 1 messages within a
// window of `inFlight` publishes awaiting their PUBACK: every one is queued for the absent session
// (for Warden on a durable store, a write its PUBACK waits for). Publish figure: messages / time
// from the first PUBLISH to the last PUBACK. Then the subscriber reconnects with Clean Session 0
// and receives them all, acknowledging each read's PUBLISHes in one write: drain figure: messages /
// time from its CONNECT to the last delivery. Every payload carries its sequence number (a float64
// at payload offset 0, read as the stream counter's "stamp"), so the drain checks that exactly the
// messages published arrived, once each and in order.
import { connect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { MqttStreamCounter } from '../mqtt-load/stream-counter.js';
import { BufferPool, DISCONNECT, STAMP_OFFSET, publishTemplate, subscribePacket } from '../mqtt-load/packets.js';
import { SETUP_TIMEOUT_MS, now, until } from '../load/run-summary.js';

const { generate } = mqttPacket;

const CONNACK = 2;
const SUBACK = 9;

export interface OfflineQueueOptions {
  port: number;
  /** Messages published while the subscriber is away, and drained after. */
  messages: number;
  /** Publishes awaiting their PUBACK, at most. */
  inFlight: number;
  payloadBytes: number;
  /** Prefix of the client ids (unique per run). */
  runId: string;
  topic?: string;
  /** Give up on a phase that has not finished after this long (default 120 s). */
  phaseTimeoutMs?: number;
  /** The broker process's CPU time so far, in ms. */
  brokerCpuMs?: () => number;
  /** The broker process's bytes written to storage so far (`write_bytes` of /proc/PID/io), or null. */
  brokerWriteBytes?: () => number | null;
  /** The broker process's write syscalls so far (`syscw` of /proc/PID/io: files and sockets), or null. */
  brokerWriteSyscalls?: () => number | null;
}

export interface PhaseResult {
  seconds: number;
  /** Messages per second over the phase. */
  perSec: number;
  brokerCpuPct: number;
  generatorCpuPct: number;
  /**
   * What the broker wrote to storage during the phase and the settle after it (/proc/PID/io
   * `write_bytes`: pages it dirtied in the page cache, written back by the kernel), or null.
   */
  writeBytes: number | null;
  /**
   * The broker's write syscalls over the same interval (/proc/PID/io `syscw`), or null: PUBACKs and
   * deliveries sent, plus the store's own writes (LMDB writes each commit's pages, then flushes).
   */
  writeSyscalls: number | null;
}

export interface OfflineQueueResult {
  messages: number;
  publish: PhaseResult & { acked: number };
  drain: PhaseResult & {
    /** PUBLISH packets the subscriber received (exactly `messages` when all is well). */
    delivered: number;
    /** The broker said it resumed the session (CONNACK session present). */
    sessionPresent: boolean;
    /** Deliveries whose sequence number was not the next one expected (a gap, a reordering). */
    outOfOrder: number;
    /** Deliveries of a sequence number already received. */
    duplicates: number;
  };
}

/** CONNECT, MQTT 3.1.1, keepalive 0, Clean Session as given. */
export function persistentConnectPacket(clientId: string, clean: boolean): Buffer {
  return generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId, clean, keepalive: 0 });
}

interface Conn {
  socket: Socket;
  counter: MqttStreamCounter;
  /** The CONNACK's session-present flag, once it came. */
  sessionPresent: boolean | null;
}

/** Open a socket (the caller writes the CONNECT); `onData` runs after each read (after the read's PUBACKs are written). */
async function open(
  port: number,
  counter: MqttStreamCounter,
  onData: () => void,
): Promise<{ conn: Conn; connected: () => boolean }> {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => undefined);
  const conn: Conn = { socket, counter, sessionPresent: null };
  socket.on('data', (chunk: Buffer) => {
    // The broker's first packet is the CONNACK (0x20 0x02 flags rc): bit 0 of flags is session present.
    if (conn.sessionPresent === null && chunk.length >= 3 && chunk[0] === 0x20)
      conn.sessionPresent = (chunk[2]! & 1) === 1;
    counter.feed(chunk);
    const acks = counter.takeAcks();
    if (acks !== null) socket.write(acks);
    onData();
  });
  return { conn, connected: () => counter.counts[CONNACK]! >= 1 };
}

async function connectAndWait(
  port: number,
  clientId: string,
  clean: boolean,
  counter: MqttStreamCounter,
): Promise<Conn> {
  const { conn, connected } = await open(port, counter, () => undefined);
  conn.socket.write(persistentConnectPacket(clientId, clean));
  await until(connected, SETUP_TIMEOUT_MS, `CONNACK for ${clientId}`);
  return conn;
}

/** DISCONNECT, then wait until the broker has closed the connection (so it has taken the disconnection in). */
async function disconnect(socket: Socket): Promise<void> {
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.end(DISCONNECT);
  const timer = setTimeout(() => socket.destroy(), SETUP_TIMEOUT_MS);
  await closed;
  clearTimeout(timer);
}

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How long after a phase the broker's writes are given to land before write_bytes is read. */
const WRITE_SETTLE_MS = 300;

interface PhaseClock {
  started: number;
  cpu0: NodeJS.CpuUsage;
  brokerCpu0: number;
  writes0: number | null;
  syscalls0: number | null;
}

function startPhase(o: OfflineQueueOptions): PhaseClock {
  return {
    cpu0: process.cpuUsage(),
    brokerCpu0: o.brokerCpuMs?.() ?? Number.NaN,
    writes0: o.brokerWriteBytes?.() ?? null,
    syscalls0: o.brokerWriteSyscalls?.() ?? null,
    started: now(),
  };
}

/** The phase's timings, ended at `endedAt`; the write counters are filled in after the settle. */
function endPhase(o: OfflineQueueOptions, clock: PhaseClock, count: number, endedAt: number): PhaseResult {
  const seconds = (endedAt - clock.started) / 1000;
  const cpu = process.cpuUsage(clock.cpu0);
  return {
    seconds,
    perSec: count / seconds,
    brokerCpuPct: (((o.brokerCpuMs?.() ?? Number.NaN) - clock.brokerCpu0) / 1000 / seconds) * 100,
    generatorCpuPct: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
    writeBytes: null,
    writeSyscalls: null,
  };
}

/** After the settle: the phase's bytes written and write syscalls, into `phase`. */
async function writesSince(o: OfflineQueueOptions, clock: PhaseClock, phase: PhaseResult): Promise<void> {
  await settle(WRITE_SETTLE_MS);
  const bytes = o.brokerWriteBytes?.() ?? null;
  const syscalls = o.brokerWriteSyscalls?.() ?? null;
  phase.writeBytes = bytes === null || clock.writes0 === null ? null : bytes - clock.writes0;
  phase.writeSyscalls = syscalls === null || clock.syscalls0 === null ? null : syscalls - clock.syscalls0;
}

export async function runOfflineQueue(o: OfflineQueueOptions): Promise<OfflineQueueResult> {
  if (!(Number.isInteger(o.messages) && o.messages >= 1)) throw new Error('messages must be a positive integer');
  if (!(o.inFlight >= 1 && o.inFlight <= 65_535)) throw new Error('inFlight must be in 1..65535');
  const topic = o.topic ?? 'bench/persist';
  const subId = `${o.runId}-sub`;
  const timeoutMs = o.phaseTimeoutMs ?? 120_000;
  const sockets: Socket[] = [];
  try {
    // The persistent session: subscribe at QoS 1, then leave.
    const first = await connectAndWait(o.port, subId, false, new MqttStreamCounter());
    sockets.push(first.socket);
    first.socket.write(subscribePacket(topic, 1));
    await until(() => first.counter.counts[SUBACK]! >= 1, SETUP_TIMEOUT_MS, `SUBACK for ${topic}`);
    await disconnect(first.socket);
    await settle(100);

    // Publish within the window; every payload carries its sequence number (1..messages).
    const template = publishTemplate(topic, o.payloadBytes, 1);
    const pool = new BufferPool(template.bytes);
    const pubCounter = new MqttStreamCounter();
    let published = 0;
    let nextId = 1;
    let running = false;
    let publishEnded = 0;
    const topUp = (): void => {
      if (!running) return;
      if (publishEnded === 0 && pubCounter.pubacks >= o.messages) publishEnded = now();
      const free = Math.min(o.inFlight - (published - pubCounter.pubacks), o.messages - published);
      if (free <= 0) return;
      const socket = pub.socket;
      socket.cork();
      for (let k = 0; k < free; k++) {
        const buf = pool.get();
        buf.writeUInt16BE(nextId, template.idAt);
        nextId = nextId === 65535 ? 1 : nextId + 1;
        published++;
        buf.writeDoubleLE(published, template.stampAt);
        socket.write(buf, () => pool.release(buf));
      }
      socket.uncork();
    };
    const pubId = `${o.runId}-pub`;
    const opened = await open(o.port, pubCounter, topUp);
    const pub = opened.conn;
    sockets.push(pub.socket);
    pub.socket.write(persistentConnectPacket(pubId, true));
    await until(opened.connected, SETUP_TIMEOUT_MS, `CONNACK for ${pubId}`);

    const publishClock = startPhase(o);
    running = true;
    topUp();
    const publishDeadline = now() + timeoutMs;
    while (publishEnded === 0) {
      if (now() > publishDeadline)
        throw new Error(`publish phase: ${pubCounter.pubacks} of ${o.messages} PUBACKs after ${timeoutMs} ms`);
      await settle(2);
    }
    const publish = { ...endPhase(o, publishClock, o.messages, publishEnded || now()), acked: pubCounter.pubacks };
    running = false;
    await disconnect(pub.socket);
    await writesSince(o, publishClock, publish);

    // Drain: the subscriber comes back for its session; check each sequence number as it arrives.
    let expected = 1;
    let outOfOrder = 0;
    let duplicates = 0;
    const seen = new Uint8Array(o.messages + 1);
    const onSample = (seq: number): void => {
      if (seq >= 1 && seq <= o.messages && seen[seq] === 1) duplicates++;
      else if (seq >= 1 && seq <= o.messages) seen[seq] = 1;
      if (seq !== expected) outOfOrder++;
      expected = seq + 1;
    };
    const subCounter = new MqttStreamCounter({ stampOffset: STAMP_OFFSET, onSample, ackQos1: true });
    const drainClock = startPhase(o);
    let drainEnded = 0;
    const back = await open(o.port, subCounter, () => {
      if (drainEnded === 0 && subCounter.publishes >= o.messages) drainEnded = now();
    });
    sockets.push(back.conn.socket);
    back.conn.socket.write(persistentConnectPacket(subId, false));
    const drainDeadline = now() + timeoutMs;
    while (drainEnded === 0 && now() < drainDeadline) await settle(2);
    const drain = endPhase(o, drainClock, subCounter.publishes, drainEnded || now());
    // Anything beyond `messages` (a redelivery) would come now; the PUBACKs' removals land too.
    await writesSince(o, drainClock, drain);
    await disconnect(back.conn.socket);
    return {
      messages: o.messages,
      publish,
      drain: {
        ...drain,
        delivered: subCounter.publishes,
        sessionPresent: back.conn.sessionPresent === true,
        outOfOrder,
        duplicates,
      },
    };
  } finally {
    for (const socket of sockets) socket.destroy();
  }
}
