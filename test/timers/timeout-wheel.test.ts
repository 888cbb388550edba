// The shared timing wheel of the MQTT connection deadlines (server/timeout-wheel.ts), driven by
// ManualTimers: deadlines fire at the first 500 ms tick at or after them, never before.
import { describe, expect, it } from 'vitest';
import { TimeoutWheel, WHEEL_SLOT_MS, type WheelEntry } from '../../server/timeout-wheel.js';
import { ManualTimers } from '../helpers/manual-timers.js';

class Entry implements WheelEntry {
  wheelDue = 0;
  wheelPrev: WheelEntry | null = null;
  wheelNext: WheelEntry | null = null;
  firedAt: number[] = [];
  constructor(
    private readonly timers: ManualTimers,
    private readonly then: () => void = () => {},
  ) {}
  onWheelTimeout(): void {
    this.firedAt.push(this.timers.now());
    this.then();
  }
}

function setup(): { timers: ManualTimers; wheel: TimeoutWheel; t0: number; errors: unknown[] } {
  const timers = new ManualTimers();
  const errors: unknown[] = [];
  // The manual clock starts on a slot boundary, so the ticks fall at t0 + k * 500.
  const t0 = timers.now();
  expect(t0 % WHEEL_SLOT_MS).toBe(0);
  return { timers, wheel: new TimeoutWheel(timers, WHEEL_SLOT_MS, (err) => errors.push(err)), t0, errors };
}

describe('TimeoutWheel', () => {
  it('fires at the first tick at or after the deadline: never early, less than a slot late', () => {
    const { timers, wheel, t0 } = setup();
    const onTick = new Entry(timers);
    const between = new Entry(timers);
    wheel.schedule(onTick, 1000);
    timers.advance(100);
    wheel.schedule(between, 1000); // due at t0 + 1100
    timers.advance(899);
    expect(onTick.firedAt).toEqual([]);
    timers.advance(1);
    expect(onTick.firedAt).toEqual([t0 + 1000]);
    timers.advance(499);
    expect(between.firedAt).toEqual([]);
    timers.advance(1);
    expect(between.firedAt).toEqual([t0 + 1500]);
    expect(wheel.size).toBe(0);
  });

  it('one timer for the whole wheel, none while it is empty', () => {
    const { timers, wheel } = setup();
    const entries = Array.from({ length: 100 }, () => new Entry(timers));
    for (const e of entries) wheel.schedule(e, 5000);
    expect(timers.pendingCount()).toBe(1);
    for (const e of entries) wheel.cancel(e);
    expect(wheel.size).toBe(0);
    expect(timers.pendingCount()).toBe(0);
    timers.advance(10_000);
    expect(entries.every((e) => e.firedAt.length === 0)).toBe(true);
  });

  it('extend() moves a deadline later without re-slotting; it fires at the new deadline', () => {
    const { timers, wheel, t0 } = setup();
    const e = new Entry(timers);
    wheel.schedule(e, 1500);
    timers.advance(1200);
    wheel.extend(e, 1500); // due at t0 + 2700
    timers.advance(1799);
    expect(e.firedAt).toEqual([]);
    timers.advance(1); // t0 + 3000: the first tick at or after 2700
    expect(e.firedAt).toEqual([t0 + 3000]);
  });

  it('extend() of an entry not on the wheel does nothing', () => {
    const { timers, wheel } = setup();
    const e = new Entry(timers);
    wheel.extend(e, 100);
    timers.advance(1000);
    expect(e.firedAt).toEqual([]);
    expect(wheel.size).toBe(0);
  });

  it('schedule() again replaces the deadline, earlier or later', () => {
    const { timers, wheel, t0 } = setup();
    const e = new Entry(timers);
    wheel.schedule(e, 10_000);
    wheel.schedule(e, 500);
    expect(wheel.size).toBe(1);
    timers.advance(500);
    expect(e.firedAt).toEqual([t0 + 500]);
    timers.advance(20_000);
    expect(e.firedAt).toEqual([t0 + 500]);
  });

  it('deadlines longer than one revolution (256 s) fire on time', () => {
    const { timers, wheel, t0 } = setup();
    const e = new Entry(timers);
    wheel.schedule(e, 600_000);
    timers.advance(599_999);
    expect(e.firedAt).toEqual([]);
    timers.advance(1);
    expect(e.firedAt).toEqual([t0 + 600_000]);
  });

  it('a timeout may cancel another due in the same tick, or schedule itself again', () => {
    const { timers, wheel, t0 } = setup();
    const second = new Entry(timers);
    const first: Entry = new Entry(timers, () => {
      wheel.cancel(second);
      wheel.schedule(first, 1000);
    });
    wheel.schedule(first, 500);
    wheel.schedule(second, 500);
    timers.advance(500);
    expect(first.firedAt).toEqual([t0 + 500]);
    expect(second.firedAt).toEqual([]);
    timers.advance(1000);
    expect(first.firedAt).toEqual([t0 + 500, t0 + 1500]);
    expect(wheel.size).toBe(1);
  });

  it('one timeout that throws is reported; the others of the tick still fire', () => {
    const { timers, wheel, errors } = setup();
    const bad = new Entry(timers, () => {
      throw new Error('boom');
    });
    const good = new Entry(timers);
    wheel.schedule(bad, 500);
    wheel.schedule(good, 500);
    timers.advance(500);
    expect(errors).toEqual([new Error('boom')]);
    expect(good.firedAt.length).toBe(1);
  });

  it('after an idle spell, a new deadline is measured from now', () => {
    const { timers, wheel, t0 } = setup();
    timers.advance(7_250);
    const e = new Entry(timers);
    wheel.schedule(e, 1000); // due at t0 + 8250: fires at the tick of t0 + 8500
    timers.advance(1249);
    expect(e.firedAt).toEqual([]);
    timers.advance(1);
    expect(e.firedAt).toEqual([t0 + 8500]);
  });
});
