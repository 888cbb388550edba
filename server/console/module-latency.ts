// Module calls and the time they took, summed per module: the console's latency chart takes the
// mean over each sample interval from two readings. Told at the call (logons, cache misses), never
// per message, like the metrics' histogram beside it.
import type { ModuleCallObserver } from '../security/module-calls.js';

export interface ModuleTotals {
  /** Answers received (late ones included). */
  answered: number;
  /** Their durations summed, in seconds. */
  seconds: number;
}

export class ModuleLatencyTotals implements ModuleCallObserver {
  private readonly totals = new Map<string, ModuleTotals>();

  called(): void {}

  answered(module: string, _action: string, seconds: number): void {
    const totals = this.totals.get(module);
    if (totals === undefined) this.totals.set(module, { answered: 1, seconds });
    else {
      totals.answered++;
      totals.seconds += seconds;
    }
  }

  failed(): void {}

  /** A copy of the totals now, per module name. */
  read(): Map<string, ModuleTotals> {
    const copy = new Map<string, ModuleTotals>();
    for (const [module, { answered, seconds }] of this.totals) copy.set(module, { answered, seconds });
    return copy;
  }
}
