// A broker under fuzzing with its control clients: runs a batch of generated cases against it
// (a few connections at a time, from many loopback addresses), then checks it. Restarts it after
// a failure so a long run goes on.
import fc from 'fast-check';
import { startBrokerChild, type BrokerChild } from './broker-child.js';
import { Control } from './control.js';
import { mqttCaseArb } from './mqtt-inputs.js';
import { nativeCaseArb } from './native-inputs.js';
import { runCase, type FuzzCase } from './run-case.js';

/**
 * How a batch ended: `crash` when the broker process died or wrote to stderr; `logged-error` when
 * it logged at error level (a failure it contained, but a failure: bad input must get a specific
 * refusal, not an internal error).
 */
export interface BatchResult {
  readonly inputs: number;
  readonly failure: null | {
    readonly kind: 'crash' | 'stall' | 'bad-output' | 'control' | 'logged-error';
    readonly message: string;
  };
}

export const caseArb: fc.Arbitrary<FuzzCase> = fc.oneof(nativeCaseArb, mqttCaseArb);

export function batchArb(cases: number): fc.Arbitrary<FuzzCase[]> {
  // size 'max': lengths spread over the whole range, not fast-check's default of small arrays.
  return fc.array(caseArb, { minLength: 1, maxLength: cases, size: 'max' });
}

/** Upper bound for a dying broker to exit after a failed control check. */
const EXIT_GRACE_MS = 2000;

/** Loopback source addresses 127.0.0.2 to 127.0.0.201: the control clients alone use 127.0.0.1. */
function sourceAddress(n: number): string {
  return `127.0.0.${2 + (n % 200)}`;
}

export class FuzzSession {
  private connections = 0;

  private constructor(
    public broker: BrokerChild,
    private control: Control,
  ) {}

  static async start(): Promise<FuzzSession> {
    const broker = await startBrokerChild();
    try {
      return new FuzzSession(broker, await Control.start(broker));
    } catch (err) {
      await broker.stop();
      throw err;
    }
  }

  /** A fresh broker and control clients (after a failure). */
  async restart(): Promise<void> {
    await this.stopAll();
    this.broker = await startBrokerChild();
    this.errorLinesSeen = 0;
    this.control = await Control.start(this.broker);
    // stop() ran while this restart was under way (fast-check gave up on a shrink): leave no broker behind.
    if (this.stopped) await this.stopAll();
  }

  /** Error-level log lines already reported. */
  private errorLinesSeen = 0;

  private newErrorLines(): BatchResult['failure'] {
    const { count, first } = this.broker.errorLines;
    if (count === this.errorLinesSeen) return null;
    const seen = this.errorLinesSeen;
    this.errorLinesSeen = count;
    return {
      kind: 'logged-error',
      message: `the broker logged ${count - seen} error line(s); the first: ${first[seen] ?? '(not kept)'}`,
    };
  }

  async runBatch(cases: readonly FuzzCase[], concurrency: number): Promise<BatchResult> {
    let inputs = 0;
    let problem: BatchResult['failure'] = null;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < cases.length && this.broker.crash() === null) {
        const c = cases[next++]!;
        const outcome = await runCase(c, this.broker, sourceAddress(this.connections++));
        inputs += outcome.inputs;
        if (outcome.problem !== null && problem === null) {
          problem = {
            kind: outcome.problem.includes('does not decode') ? 'bad-output' : 'stall',
            message: outcome.problem,
          };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, cases.length) }, worker));
    const crashed = (): BatchResult['failure'] => {
      const crash = this.broker.crash();
      return crash === null ? null : { kind: 'crash', message: crash };
    };
    const before = crashed() ?? problem;
    if (before !== null) return { inputs, failure: before };
    const control = await this.control.check();
    if (control === null) return { inputs, failure: crashed() ?? this.newErrorLines() };
    // A control failure is often a crash in progress: give the process a moment to report it.
    await Promise.race([this.broker.closed, new Promise((resolve) => setTimeout(resolve, EXIT_GRACE_MS).unref())]);
    return { inputs, failure: crashed() ?? { kind: 'control', message: control } };
  }

  private stopped = false;

  async stop(): Promise<void> {
    this.stopped = true;
    await this.stopAll();
  }

  private async stopAll(): Promise<void> {
    await this.control.close().catch(() => {});
    await this.broker.stop();
  }
}
