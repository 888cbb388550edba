// One timing wheel for the per-connection deadlines every MQTT connection has (the CONNECT timeout,
// then the keepalive), instead of a Node timer each. A Node timer is a Timeout object (~100 B)
// in a per-duration list, and refreshing it on every read costs a libuv clock read and a list
// move; with many idle connections that is memory and work per connection for deadlines that
// almost never fire. Here a deadline is three fields on the object that owns it (due, prev, next),
// linked into one of SLOTS circular lists by the tick it falls in; one timer (Timers, so tests
// move time by hand) ticks every slotMs while anything is scheduled.
//
// Granularity: a deadline fires at the first tick at or after it, so never early and at most
// slotMs late (plus the event loop's own lateness). Refreshing a deadline to a later time (a
// keepalive seeing traffic) only writes `wheelDue`: the entry stays in its slot, and when that slot
// comes round it is moved to the slot of its new deadline. So a busy connection costs one move per
// keepalive period, not one per packet.
import type { TimerHandle, Timers } from './timers.js';

/** An object with one deadline on the wheel. Initialise the fields to 0, null, null. */
export interface WheelEntry {
  /** The deadline, ms since the epoch (meaningful while scheduled). */
  wheelDue: number;
  /** Neighbours in its slot's circular list; null while not scheduled. */
  wheelPrev: WheelEntry | null;
  wheelNext: WheelEntry | null;
  /** The deadline passed (it is off the wheel already). Its own entry point: must not throw. */
  onWheelTimeout(): void;
}

/** The head of one slot's circular list; never fires. */
class SlotHead implements WheelEntry {
  wheelDue = 0;
  wheelPrev: WheelEntry = this;
  wheelNext: WheelEntry = this;
  onWheelTimeout(): void {}
}

/** Slots in one revolution: 512 x 500 ms = 256 s; a longer deadline is passed over (re-slotted) until due. */
const SLOTS = 512;

export const WHEEL_SLOT_MS = 500;

export class TimeoutWheel {
  private readonly slots: SlotHead[] = Array.from({ length: SLOTS }, () => new SlotHead());
  /** The last tick (time / slotMs) whose slot was processed. */
  private cursor: number;
  private scheduled = 0;
  private timer: TimerHandle | null = null;
  /** The slot being processed, moved here whole (see process). */
  private readonly due = new SlotHead();
  private readonly tickBound = (): void => this.tick();

  constructor(
    private readonly timers: Timers,
    private readonly slotMs: number = WHEEL_SLOT_MS,
    /** Told of an entry whose onWheelTimeout threw; must not throw. */
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.cursor = Math.floor(timers.now() / slotMs);
  }

  /** Entries on the wheel now. */
  get size(): number {
    return this.scheduled;
  }

  now(): number {
    return this.timers.now();
  }

  /** (Re)schedule `entry` to time out `ms` from now. */
  schedule(entry: WheelEntry, ms: number): void {
    if (entry.wheelPrev !== null) this.unlink(entry);
    else this.scheduled++;
    entry.wheelDue = this.timers.now() + ms;
    this.link(entry);
    this.arm();
  }

  /**
   * Push a scheduled entry's deadline to `ms` from now (no-op if it is not scheduled). Only for a
   * deadline that moves later, as a keepalive does: it stays in its slot until that slot comes.
   */
  extend(entry: WheelEntry, ms: number): void {
    if (entry.wheelPrev !== null) entry.wheelDue = this.timers.now() + ms;
  }

  cancel(entry: WheelEntry): void {
    if (entry.wheelPrev === null) return;
    this.unlink(entry);
    this.scheduled--;
    if (this.scheduled === 0 && this.timer !== null) {
      this.timers.clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /** Into the slot of the first tick at or after its deadline, and never one already processed. */
  private link(entry: WheelEntry): void {
    let tick = Math.ceil(entry.wheelDue / this.slotMs);
    if (tick <= this.cursor) tick = this.cursor + 1;
    const head = this.slots[tick % SLOTS]!;
    const last = head.wheelPrev;
    entry.wheelPrev = last;
    entry.wheelNext = head;
    last.wheelNext = entry;
    head.wheelPrev = entry;
  }

  private unlink(entry: WheelEntry): void {
    entry.wheelPrev!.wheelNext = entry.wheelNext;
    entry.wheelNext!.wheelPrev = entry.wheelPrev;
    entry.wheelPrev = null;
    entry.wheelNext = null;
  }

  /** One timer for the next tick, while anything is scheduled. */
  private arm(): void {
    if (this.timer !== null) return;
    const now = this.timers.now();
    // Idle until now: the ticks passed meanwhile had nothing in them.
    const nowTick = Math.floor(now / this.slotMs);
    if (nowTick > this.cursor && this.scheduled === 1) this.cursor = nowTick;
    this.timer = this.timers.setTimeout(this.tickBound, (this.cursor + 1) * this.slotMs - now);
  }

  /** The timer: process every slot up to now (several if the event loop was late), then re-arm. */
  private tick(): void {
    this.timer = null;
    const now = this.timers.now();
    const nowTick = Math.floor(now / this.slotMs);
    // A late timer catches up, but one revolution visits every slot.
    const last = Math.min(nowTick, this.cursor + SLOTS);
    while (this.cursor < last) {
      this.cursor++;
      this.process(this.slots[this.cursor % SLOTS]!, now);
    }
    if (nowTick > this.cursor) this.cursor = nowTick;
    if (this.scheduled > 0) this.arm();
  }

  private process(head: SlotHead, now: number): void {
    if (head.wheelNext === head) return;
    // Move the slot's list to `due` first: an entry re-slotted into this same slot then waits a
    // revolution, and one cancelled by another's timeout unlinks from a list like any other.
    const due = this.due;
    due.wheelNext = head.wheelNext;
    due.wheelPrev = head.wheelPrev;
    head.wheelNext.wheelPrev = due;
    head.wheelPrev.wheelNext = due;
    head.wheelNext = head;
    head.wheelPrev = head;
    while (due.wheelNext !== due) {
      const entry = due.wheelNext;
      this.unlink(entry);
      if (entry.wheelDue > now) {
        this.link(entry);
        continue;
      }
      this.scheduled--;
      // Each entry's timeout is its own entry point: one failing must not stop the rest.
      try {
        entry.onWheelTimeout();
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
