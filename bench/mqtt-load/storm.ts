// Scenario 6, connection storm: `clients` MQTT 3.1.1 clients open a TCP connection to 127.0.0.1,
// send CONNECT (encoded up front, optionally with a user name and password) and wait for CONNACK,
// with at most `concurrency` connects in flight. Figure: CONNACKs (return code 0) per second from
// the first connect to the last CONNACK. Then, with every client connected and idle (keepalive 0),
// the broker's RSS (VmRSS of its PID) against the RSS before the storm gives the memory per idle
// connection. Bounded: each connect times out after CONNECT_TIMEOUT_MS, the whole storm after
// `timeoutSeconds`; all sockets are closed before it returns.
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { DISCONNECT, connectPacket, type Credentials } from './packets.js';

const CONNECT_TIMEOUT_MS = 10_000;

export interface StormOptions {
  port: number;
  clients: number;
  concurrency: number;
  runId: string;
  credentials?: Credentials;
  /** Give up (counting the rest as failed) after this long. */
  timeoutSeconds: number;
  /** The broker's PID, for its RSS (and `brokerCpuMs` for its CPU). */
  brokerPid: number;
  brokerCpuMs?: () => number;
  /** Wait this long with every client idle before reading the broker's RSS. */
  settleMs?: number;
}

export interface StormResult {
  clients: number;
  connected: number;
  failed: number;
  seconds: number;
  connectionsPerSec: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  /** (RSS with the clients connected and idle - RSS before) / connected, KiB. */
  kibPerConnection: number;
  generatorCpuPct: number;
  brokerCpuPct: number;
}

/** VmRSS of a process in KiB from /proc/PID/status, or NaN. */
export function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? Number.NaN : Number(m[1]);
  } catch {
    return Number.NaN;
  }
}

/** The soft limit on open files of this process, from /proc/self/limits (Infinity if unknown). */
export function openFileLimit(): number {
  try {
    const m = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m === null || m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Connect, CONNECT, resolve true on a CONNACK with return code 0 (false on anything else). */
function connectOne(port: number, packet: Buffer, sockets: Socket[]): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    sockets.push(socket);
    let header: Buffer = Buffer.alloc(0);
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeListener('data', onData);
      if (!ok) socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), CONNECT_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      header = header.length === 0 ? chunk : Buffer.concat([header, chunk]);
      // CONNACK: 0x20, remaining length 2, flags, return code.
      if (header.length >= 4) finish(header[0] === 0x20 && header[3] === 0);
    };
    socket.on('data', onData);
    socket.on('error', () => finish(false));
    socket.once('close', () => finish(false));
    socket.once('connect', () => socket.write(packet));
  });
}

export async function runStorm(o: StormOptions): Promise<StormResult> {
  const packets = Array.from({ length: o.clients }, (_, i) => connectPacket(`${o.runId}-c${i}`, o.credentials));
  const sockets: Socket[] = [];
  try {
    const rssBeforeKiB = rssKiB(o.brokerPid);
    const cpu0 = process.cpuUsage();
    const brokerCpu0 = o.brokerCpuMs?.() ?? Number.NaN;
    const started = performance.now();
    const deadline = started + o.timeoutSeconds * 1000;
    let next = 0;
    let connected = 0;
    let failed = 0;
    const worker = async (): Promise<void> => {
      while (next < o.clients && performance.now() < deadline) {
        const packet = packets[next++]!;
        if (await connectOne(o.port, packet, sockets)) connected++;
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.concurrency, o.clients) }, worker));
    failed += o.clients - connected - failed; // not attempted before the deadline
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const brokerCpuPct = (((o.brokerCpuMs?.() ?? Number.NaN) - brokerCpu0) / 1000 / seconds) * 100;
    await new Promise((r) => setTimeout(r, o.settleMs ?? 1000));
    const rssAfterKiB = rssKiB(o.brokerPid);
    return {
      clients: o.clients,
      connected,
      failed,
      seconds,
      connectionsPerSec: connected / seconds,
      rssBeforeKiB,
      rssAfterKiB,
      kibPerConnection: connected > 0 ? (rssAfterKiB - rssBeforeKiB) / connected : Number.NaN,
      generatorCpuPct: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
      brokerCpuPct,
    };
  } finally {
    for (const s of sockets) {
      if (s.destroyed) continue;
      s.end(DISCONNECT);
      s.destroySoon();
    }
  }
}
