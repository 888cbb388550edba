// CPU time of the processes a bench:cluster run started, from /proc/PID/stat (utime + stime, in
// clock ticks; all of a process's threads), read before and after a timed interval: CPU % =
// ticks / CLK_TCK / wall seconds x 100, so 100 % is one core's worth.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second (`getconf CLK_TCK`; 100 on Linux where getconf is missing). */
export const CLOCK_TICKS_PER_SEC = ((): number => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number(out.stdout?.trim());
  return out.status === 0 && Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
})();

/** User + system CPU time of `pid` so far, in ms; NaN when /proc cannot be read (exited, not Linux). */
export function cpuMsOf(pid: number): number {
  try {
    // Fields 14 and 15 (utime, stime); the name field (2) may hold spaces, so count from its ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SEC;
  } catch {
    return Number.NaN;
  }
}

export interface MeteredProcess {
  /** A row label: `node A`, `redis-server`, `worker 1`... */
  readonly name: string;
  readonly pid: number;
}

export interface ProcessCpu extends MeteredProcess {
  /** CPU % over the interval (100 = one core busy all the time). */
  readonly cpuPct: number;
}

/**
 * Several processes' CPU over one interval. `read` takes a reading of all of them and returns
 * their sum (the shape of a load generator's `brokerCpuMs` hook, which reads once when its timed
 * part starts and once when it ends); the first and the latest readings bound the interval.
 */
export class CpuMeter {
  private first: number[] | null = null;
  private last: number[] | null = null;

  constructor(readonly processes: readonly MeteredProcess[]) {}

  readonly read = (): number => {
    const reading = this.processes.map((p) => cpuMsOf(p.pid));
    this.first ??= reading;
    this.last = reading;
    return reading.reduce((a, b) => a + b, 0);
  };

  /** Each process's CPU % between the first and the latest reading, over `seconds` of wall time. */
  percents(seconds: number): ProcessCpu[] {
    const first = this.first;
    const last = this.last;
    return this.processes.map((p, i) => ({
      ...p,
      cpuPct: first === null || last === null ? Number.NaN : ((last[i]! - first[i]!) / 1000 / seconds) * 100,
    }));
  }
}
