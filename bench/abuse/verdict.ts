// The targets for every attack, the verdict of one result against them, and the table.
// Pure: tested in test/bench/abuse-harness.test.ts.
import { formatTable } from '../report.js';

export const TARGETS = {
  /** RSS may grow by the attack's configured caps plus this much. */
  memorySlackBytes: 64 * 1024 * 1024,
  /** No event-loop block longer than this. */
  maxBlockMs: 100,
} as const;

export interface AttackResult {
  id: string;
  name: string;
  /** The broker process was alive after the attack and the control clients were served. */
  survived: boolean;
  /** When it did not survive: `died` (the process ended, or was killed at the harness's RSS ceiling) or `control failed`. */
  failure?: 'died' | 'unresponsive' | 'control failed';
  /** Why not, when not: the exit and its last error line, or what the control clients missed. */
  survivalNote: string;
  rssBeforeBytes: number | null;
  /** At the end of the attack, with the attacker still connected. */
  rssAfterBytes: number | null;
  /** The highest RSS sampled from the start of the attack to its end. */
  rssPeakBytes: number | null;
  /** The configured byte caps that bound what the attack may make the broker hold. */
  capBytes: number;
  /** The longest event-loop block during the attack; null when the broker could not be asked. */
  maxBlockMs: number | null;
  /** When the broker did not answer at the end: how long it had not answered (a lower bound of its block). */
  blockAtLeastMs: number | null;
  attackerGot: string;
  ownTarget: { met: boolean; expected: string } | null;
  durationMs: number;
  details?: Record<string, unknown>;
}

/** Growth from before the attack to its peak (the peak, not the end: memory freed later was still held). */
export function rssGrowth(result: AttackResult): number | null {
  if (result.rssBeforeBytes === null) return null;
  const peak = Math.max(result.rssPeakBytes ?? 0, result.rssAfterBytes ?? 0);
  return peak === 0 ? null : peak - result.rssBeforeBytes;
}

/** The targets this result misses; empty when it meets them all. */
export function failures(result: AttackResult): string[] {
  const missed: string[] = [];
  if (!result.survived) missed.push(`did not survive${result.survivalNote === '' ? '' : `: ${result.survivalNote}`}`);
  const growth = rssGrowth(result);
  const allowed = result.capBytes + TARGETS.memorySlackBytes;
  // A broker that died cannot be asked: say so only for one that lives.
  if (growth === null) {
    if (result.survived) missed.push('RSS not measured');
  } else if (growth > allowed)
    missed.push(`RSS +${mb(growth)} MB > ${mb(allowed)} MB (caps ${mb(result.capBytes)} + 64)`);
  if (result.maxBlockMs === null) {
    if (result.blockAtLeastMs !== null && result.blockAtLeastMs > TARGETS.maxBlockMs)
      missed.push(`block >= ${Math.round(result.blockAtLeastMs)} ms > ${TARGETS.maxBlockMs}`);
    else if (result.survived) missed.push('event-loop block not measured');
  } else if (result.maxBlockMs > TARGETS.maxBlockMs)
    missed.push(`block ${Math.round(result.maxBlockMs)} ms > ${TARGETS.maxBlockMs}`);
  if (result.ownTarget !== null && !result.ownTarget.met) missed.push(`want: ${result.ownTarget.expected}`);
  return missed;
}

export function verdict(result: AttackResult): string {
  const missed = failures(result);
  return missed.length === 0 ? 'PASS' : `FAIL: ${missed.join('; ')}`;
}

export const TABLE_HEADER = [
  'attack',
  'survived',
  'RSS before MB',
  'RSS after MB',
  'RSS growth MB',
  'longest block ms',
  'attacker got',
  'verdict',
] as const;

export function tableRow(result: AttackResult): string[] {
  const growth = rssGrowth(result);
  return [
    `${result.id} ${result.name}`,
    result.survived ? 'yes' : `no (${result.failure ?? 'died'})`,
    result.rssBeforeBytes === null ? '-' : mb(result.rssBeforeBytes),
    result.rssAfterBytes === null ? '-' : mb(result.rssAfterBytes),
    growth === null ? '-' : `${growth >= 0 ? '+' : ''}${mb(growth)}`,
    result.maxBlockMs !== null
      ? formatMs(result.maxBlockMs)
      : result.blockAtLeastMs !== null
        ? `>= ${Math.round(result.blockAtLeastMs)}`
        : '-',
    result.attackerGot,
    verdict(result),
  ];
}

export function formatResults(results: readonly AttackResult[]): string {
  return formatTable(TABLE_HEADER, results.map(tableRow));
}

function mb(bytes: number): string {
  return String(Math.round(bytes / (1024 * 1024)));
}

function formatMs(ms: number): string {
  return ms >= 100 ? String(Math.round(ms)) : ms.toFixed(1);
}
