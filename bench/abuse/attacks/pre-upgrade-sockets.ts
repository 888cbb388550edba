// Attack 10: sockets that never finish the HTTP upgrade on the native port: idle TCP
// connections that send nothing, and requests whose headers trickle in at one line every 2 s.
// Measures how many the broker accepts and how long each stays open, giving up after 20 s.
import { connect as netConnect, type Socket } from 'node:net';
import { configNumber, type Attack } from '../attack.js';

const IDLE = 200;
const TRICKLE = 20;
const GIVE_UP_MS = 20_000;
const TRICKLE_EVERY_MS = 2_000;
/** Closed within this of connecting counts as refused rather than accepted. */
const REFUSED_WITHIN_MS = 500;

interface Tracked {
  socket: Socket;
  connectedAt: number | null;
  closedAfterMs: number | null;
}

function open(port: number): Promise<Tracked> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port, localAddress: '127.0.0.1' });
    const tracked: Tracked = { socket, connectedAt: null, closedAfterMs: null };
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      tracked.connectedAt = performance.now();
      resolve(tracked);
    });
    socket.once('close', () => {
      if (tracked.connectedAt !== null) tracked.closedAfterMs = performance.now() - tracked.connectedAt;
      resolve(tracked);
    });
  });
}

function summarize(kind: string, sockets: Tracked[]): string {
  const connected = sockets.filter((s) => s.connectedAt !== null);
  const refused = connected.filter((s) => s.closedAfterMs !== null && s.closedAfterMs < REFUSED_WITHIN_MS).length;
  const closedLater = connected
    .filter((s) => s.closedAfterMs !== null && s.closedAfterMs >= REFUSED_WITHIN_MS)
    .map((s) => s.closedAfterMs!);
  const open = connected.filter((s) => s.closedAfterMs === null).length;
  const longest =
    closedLater.length === 0
      ? ''
      : `, closed after ${(Math.min(...closedLater) / 1000).toFixed(1)}-${(Math.max(...closedLater) / 1000).toFixed(1)} s`;
  return `${kind} ${connected.length - refused}/${sockets.length} accepted${refused > 0 ? ` (${refused} closed at once)` : ''}${longest}${open > 0 ? `, ${open} still open at ${GIVE_UP_MS / 1000} s` : ''}`;
}

export const preUpgradeSocketsAttack: Attack = {
  id: '10',
  name: `${IDLE} idle + ${TRICKLE} trickled-header sockets on the native port`,
  timeoutMs: GIVE_UP_MS + 20_000,
  async run(ctx) {
    const port = Number(new URL(ctx.nativeUrl).port);
    const idle = await Promise.all(Array.from({ length: IDLE }, () => open(port)));
    const trickle = await Promise.all(Array.from({ length: TRICKLE }, () => open(port)));
    for (const t of trickle) t.socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    let line = 0;
    const trickler = setInterval(() => {
      line++;
      for (const t of trickle) if (!t.socket.destroyed) t.socket.write(`X-Trickle-${line}: y\r\n`);
    }, TRICKLE_EVERY_MS);
    const all = [...idle, ...trickle];
    const deadline = performance.now() + GIVE_UP_MS;
    while (
      performance.now() < deadline &&
      all.some((t) => t.closedAfterMs === null && t.connectedAt !== null) &&
      ctx.alive()
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    clearInterval(trickler);
    const got = `${summarize('idle', idle)}; ${summarize('trickled', trickle)}`;
    for (const t of all) t.socket.destroy();
    // Closed within the logon timeout (with 2 s of slack for timers on a loaded machine).
    const limitMs = configNumber(ctx.config, 'listeners.0.options.logonTimeoutMs') + 2_000;
    const late = all.filter(
      (t) => t.connectedAt !== null && (t.closedAfterMs === null || t.closedAfterMs > limitMs),
    ).length;
    return {
      attackerGot: got,
      ownTarget: {
        met: late === 0,
        expected: `every socket closed within the logon timeout (${limitMs - 2_000} ms + 2 s)`,
      },
      details: { closedAfterMs: all.map((t) => (t.closedAfterMs === null ? null : Math.round(t.closedAfterMs))) },
    };
  },
};
