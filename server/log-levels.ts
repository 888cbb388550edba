// `log.level` changed by a live reload. pino copies its level into each child when the child is
// made, and a child never follows its parent after that, so the broker's components (each logs
// through a child) would keep the old level. This keeps a weak list of every descendant of the
// broker's logger (through pino's onChild hook) and sets the level on all of them.
import type { Logger, LevelWithSilent } from 'pino';

/** A child whose level is derived from the root's rather than equal to it (the audit log on stdout). */
type LevelRule = (rootLevel: LevelWithSilent) => LevelWithSilent;

const rules = new WeakMap<Logger, LevelRule>();
const trackers = new WeakMap<Logger, LogLevels>();

/** Keep `child` at `rule(level)` whenever the root's level changes, rather than at the level itself. */
export function pinLevel(child: Logger, rule: LevelRule): void {
  rules.set(child, rule);
}

export class LogLevels {
  private readonly children = new Set<WeakRef<Logger>>();
  /** Dead references are swept when the set has doubled since the last sweep. */
  private sweepAt = 64;

  private constructor(private readonly root: Logger) {
    const previous = root.onChild;
    const add = (child: Logger): void => this.add(child);
    // Children inherit onChild from their parent, so grandchildren are seen too. pino calls it
    // with the parent as `this`, which a hook set before this one may rely on.
    root.onChild = function (this: Logger, child: Logger): void {
      previous.call(this, child);
      add(child);
    };
  }

  /** The tracker of `root`, made on first use: before the broker makes its children. One per logger, however many brokers share it. */
  static of(root: Logger): LogLevels {
    let tracker = trackers.get(root);
    if (tracker === undefined) {
      tracker = new LogLevels(root);
      trackers.set(root, tracker);
    }
    return tracker;
  }

  get level(): LevelWithSilent {
    return this.root.level as LevelWithSilent;
  }

  /** The root and every child made since tracking began take `level` (or their rule's answer). */
  set(level: LevelWithSilent): void {
    this.root.level = level;
    for (const ref of this.children) {
      const child = ref.deref();
      if (child === undefined) this.children.delete(ref);
      else child.level = rules.get(child)?.(level) ?? level;
    }
  }

  private add(child: Logger): void {
    this.children.add(new WeakRef(child));
    if (this.children.size < this.sweepAt) return;
    for (const ref of this.children) if (ref.deref() === undefined) this.children.delete(ref);
    this.sweepAt = Math.max(64, this.children.size * 2);
  }
}
