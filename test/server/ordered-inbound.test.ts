// OrderedInbound, shared by the native session (frames) and the MQTT session (packets, and a
// fault queued after them): arrival order across waits, the pause bound, closing drops the rest,
// and the time slice after which one connection yields the event loop.
import { describe, expect, it } from 'vitest';
import { OrderedInbound } from '../../server/session/ordered-inbound.js';

class Fault {
  constructor(readonly why: string) {}
}

/** Holds the thread for `ms`, as a costly command would. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

function harness(pausesReading = true) {
  const handled: string[] = [];
  const peer = {
    paused: 0,
    resumed: 0,
    pausesReading,
    pause() {
      this.paused++;
    },
    resume() {
      this.resumed++;
    },
  };
  let open = true;
  const waits = new Map<string, { resolve(): void; reject(err: unknown): void }>();
  const errors: unknown[] = [];
  const failed: unknown[] = [];
  const inbound: OrderedInbound<string | Fault> = new OrderedInbound<string | Fault>(peer, {
    handleInbound(item) {
      if (item instanceof Fault) {
        handled.push(`fault:${item.why}`);
        open = false;
        return;
      }
      handled.push(item);
      if (item.startsWith('slow')) busy(4);
      if (item.startsWith('throw')) throw new Error(item);
      if (item.startsWith('wait')) {
        const done = new Promise<void>((resolve, reject) => waits.set(item, { resolve, reject }));
        inbound.waitFor(done, (err) => errors.push(err));
      }
    },
    inboundOpen: () => open,
    inboundFailed: (err) => failed.push(err),
  });
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  return { handled, peer, waits, errors, failed, inbound, settle, close: () => (open = false) };
}

describe('OrderedInbound', () => {
  it('contains what a parked item throws when handled from the continuation (no unhandled rejection)', async () => {
    const h = harness();
    const rejections: unknown[] = [];
    const onRejection = (err: unknown): void => void rejections.push(err);
    process.on('unhandledRejection', onRejection);
    try {
      h.inbound.accept('wait1');
      h.inbound.accept('throw1');
      h.inbound.accept('after');
      h.waits.get('wait1')!.resolve();
      await h.settle();
      expect(h.handled).toEqual(['wait1', 'throw1']);
      expect(h.failed.map((e) => (e as Error).message)).toEqual(['throw1']);
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  it('parks what arrives behind a waiting item and handles it in order, across a second wait', async () => {
    const h = harness();
    h.inbound.accept('a');
    h.inbound.accept('wait1');
    h.inbound.accept('b');
    h.inbound.accept('wait2');
    h.inbound.accept('c');
    expect(h.handled).toEqual(['a', 'wait1']);
    h.waits.get('wait1')!.resolve();
    await h.settle();
    expect(h.handled).toEqual(['a', 'wait1', 'b', 'wait2']);
    h.inbound.accept('d');
    h.waits.get('wait2')!.reject(new Error('boom'));
    await h.settle();
    expect(h.handled).toEqual(['a', 'wait1', 'b', 'wait2', 'c', 'd']);
    expect(h.errors).toHaveLength(1);
  });

  it('a fault item parked behind the items before it is handled after them (MQTT parked fault)', async () => {
    const h = harness();
    h.inbound.accept('wait1');
    h.inbound.accept('x');
    h.inbound.accept(new Fault('malformed'));
    expect(h.handled).toEqual(['wait1']);
    h.waits.get('wait1')!.resolve();
    await h.settle();
    expect(h.handled).toEqual(['wait1', 'x', 'fault:malformed']);
  });

  it('pauses the peer past 256 parked items and resumes it once they are handled', async () => {
    const h = harness();
    h.inbound.accept('wait1');
    for (let i = 0; i < 300; i++) h.inbound.accept(`m${i}`);
    expect(h.peer.paused).toBe(1);
    h.waits.get('wait1')!.resolve();
    await h.settle();
    expect(h.handled).toHaveLength(301);
    expect(h.handled.at(-1)).toBe('m299');
    expect(h.peer.resumed).toBe(1);
  });

  it('drops the parked items once the connection is closing', async () => {
    const h = harness();
    h.inbound.accept('wait1');
    h.inbound.accept('lost');
    h.close();
    h.waits.get('wait1')!.resolve();
    await h.settle();
    expect(h.handled).toEqual(['wait1']);
  });

  it('yields after its time slice: the rest waits, in order, for a later turn, with the peer paused', async () => {
    const h = harness();
    for (let i = 0; i < 10; i++) h.inbound.accept(`slow${i}`);
    h.inbound.accept('cheap');
    // 10 x 4 ms is past the 10 ms slice: some were handled now, the rest were parked.
    const now = h.handled.length;
    expect(now).toBeGreaterThan(0);
    expect(now).toBeLessThan(10);
    expect(h.peer.paused).toBe(1);
    let turns = 0;
    while (h.handled.length < 11 && turns++ < 50) await h.settle();
    expect(h.handled).toEqual([...Array.from({ length: 10 }, (_, i) => `slow${i}`), 'cheap']);
    expect(turns).toBeGreaterThan(0);
    expect(h.peer.resumed).toBe(1);
  });

  it('keeps order when a command waits after a yield, and does not resume before the wait ends', async () => {
    const h = harness();
    for (let i = 0; i < 5; i++) h.inbound.accept(`slow${i}`);
    h.inbound.accept('wait1');
    h.inbound.accept('after');
    let turns = 0;
    while (!h.waits.has('wait1') && turns++ < 50) await h.settle();
    await h.settle();
    expect(h.handled).toEqual(['slow0', 'slow1', 'slow2', 'slow3', 'slow4', 'wait1']);
    expect(h.peer.resumed).toBe(0);
    h.waits.get('wait1')!.resolve();
    await h.settle();
    expect(h.handled.at(-1)).toBe('after');
    expect(h.peer.resumed).toBe(1);
  });

  it('does not yield for a peer that cannot stop reading (uWS): it would only hold the backlog', () => {
    const h = harness(false);
    for (let i = 0; i < 5; i++) h.inbound.accept(`slow${i}`);
    expect(h.handled).toHaveLength(5);
    expect(h.peer.paused).toBe(0);
  });
});
