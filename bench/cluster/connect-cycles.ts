// MQTT connection cycles at a fixed concurrency: each of `concurrency` loops opens a TCP
// connection to 127.0.0.1, sends CONNECT (MQTT 3.1.1, clean session, keepalive 0, user `bench`, a
// client id never used before), waits for CONNACK, sends DISCONNECT and waits for the broker to
// close the connection, then starts the next cycle, until `seconds` have passed. So at most
// `concurrency` connections are open at any time, and each cycle is a full logon and logoff (in a
// cluster: the client id claimed and released in Redis, the connection's place reserved and given
// back). Figure: CONNACKs with return code 0 per second. Every wait is bounded (CYCLE_TIMEOUT_MS).
import { connect } from 'node:net';
import { DISCONNECT, connectPacket } from '../mqtt-load/packets.js';

const CYCLE_TIMEOUT_MS = 10_000;
/** Digits of the cycle number in a client id (fixed width: patched into the CONNECT in place). */
const SEQ_DIGITS = 9;
/** A user name and password, as in bench:peers' storm (the default allow-any module takes any). */
const CREDENTIALS = { username: 'bench', password: 'bench' };

export interface CycleOptions {
  port: number;
  concurrency: number;
  seconds: number;
  /** Prefix of the client ids (unique per run). */
  runId: string;
}

export interface CycleResult {
  /** CONNACKs with return code 0. */
  connected: number;
  /** Cycles that ended otherwise (refused, reset, timed out). */
  failed: number;
  seconds: number;
  connectionsPerSec: number;
  generatorCpuPct: number;
}

/** One cycle; resolves with whether the CONNACK accepted the connection. */
function cycle(port: number, packet: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    let accepted: boolean | null = null;
    let header: Buffer = Buffer.alloc(0);
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(accepted === true);
    };
    const timer = setTimeout(finish, CYCLE_TIMEOUT_MS);
    socket.on('error', () => undefined);
    socket.once('close', finish);
    socket.once('connect', () => socket.write(packet));
    socket.on('data', (chunk: Buffer) => {
      if (accepted !== null) return;
      header = header.length === 0 ? chunk : Buffer.concat([header, chunk]);
      if (header.length < 4) return;
      // CONNACK: 0x20, remaining length 2, flags, return code.
      accepted = header[0] === 0x20 && header[3] === 0;
      // [MQTT-3.14.4-1] after DISCONNECT the server closes the connection: 'close' ends the cycle.
      if (accepted) socket.end(DISCONNECT);
      else socket.destroy();
    });
  });
}

export async function runConnectCycles(o: CycleOptions): Promise<CycleResult> {
  let connected = 0;
  let failed = 0;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const deadline = started + o.seconds * 1000;
  const loop = async (slot: number): Promise<void> => {
    // One CONNECT per loop, its client id's last SEQ_DIGITS characters rewritten per cycle.
    const id = `${o.runId}-${slot}-${'0'.repeat(SEQ_DIGITS)}`;
    const packet = connectPacket(id, CREDENTIALS);
    const seqAt = packet.indexOf(id, 0, 'latin1') + id.length - SEQ_DIGITS;
    for (let seq = 0; performance.now() < deadline; seq++) {
      packet.write(String(seq).padStart(SEQ_DIGITS, '0'), seqAt, 'latin1');
      if (await cycle(o.port, packet)) connected++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, (_, slot) => loop(slot)));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    connected,
    failed,
    seconds,
    connectionsPerSec: connected / seconds,
    generatorCpuPct: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
  };
}
