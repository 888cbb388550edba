// Sockets on a WebSocket port before their upgrade (`bench:abuse` attack 10). Node's HTTP
// server would keep an idle socket, or one trickling header lines, for about 90 s (headersTimeout
// checked every 30 s); here each socket takes a slot of admission.maxUnauthenticated when it
// connects (closed at once when none is free) and is destroyed if it has not upgraded within the
// endpoint's upgrade timeout (its listeners' logon timeout). The slot goes with the socket to its
// WebSocket connection, which gives it back at logon; closing the socket gives it back too.
import type { Socket } from 'node:net';
import type { UnauthenticatedSlot, UnauthenticatedSockets } from '../admission/unauthenticated-sockets.js';
import type { BrokerStats } from '../stats.js';
import type { TimerHandle, Timers } from '../timers.js';

/** What a transport needs to hold connections that have not logged on. */
export interface PreLogon {
  readonly sockets: UnauthenticatedSockets;
  readonly stats: BrokerStats;
  /** The upgrade deadlines run on these. */
  readonly timers: Timers;
}

class PendingUpgrade {
  timer: TimerHandle | null = null;
  constructor(
    readonly slot: UnauthenticatedSlot,
    readonly timers: Timers,
  ) {}
}

const pending = new WeakMap<Socket, PendingUpgrade>();

/**
 * A socket connected to an HTTP endpoint: take its slot (false: none free, destroy it) and arm
 * the upgrade deadline (0: none).
 */
export function holdBeforeUpgrade(socket: Socket, preLogon: PreLogon, timeoutMs: number): boolean {
  const slot = preLogon.sockets.take(socket.remoteAddress ?? '');
  if (slot === null) {
    socket.destroy();
    return false;
  }
  const hold = new PendingUpgrade(slot, preLogon.timers);
  pending.set(socket, hold);
  if (timeoutMs > 0) {
    hold.timer = preLogon.timers.setTimeout(() => {
      preLogon.stats.upgradeTimeouts++;
      socket.destroy();
    }, timeoutMs);
  }
  socket.once('close', () => {
    if (hold.timer !== null) hold.timers.clearTimeout(hold.timer);
    slot.release();
  });
  return true;
}

/** The upgrade request arrived: stop its deadline (the session's logon timer takes over). */
export function upgradeArrived(socket: Socket): void {
  const hold = pending.get(socket);
  if (hold === undefined || hold.timer === null) return;
  hold.timers.clearTimeout(hold.timer);
  hold.timer = null;
}

/** The slot a socket took when it connected, for its WebSocket connection to give back at logon. */
export function slotOf(socket: Socket): UnauthenticatedSlot | null {
  return pending.get(socket)?.slot ?? null;
}
