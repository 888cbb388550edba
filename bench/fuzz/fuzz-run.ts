// A long fuzz run: batches drawn from a seed one after another, the broker's RSS sampled every
// so many inputs, and after a failure the failing batch reduced to a minimal case (replayed on
// fresh brokers) before the run goes on with a new broker.
import fc from 'fast-check';
import { batchArb, FuzzSession, type BatchResult } from './fuzz-session.js';
import { inputCount, type FuzzCase } from './run-case.js';

export interface FuzzRunOptions {
  readonly seed: number;
  readonly inputs: number;
  /** Stop early after this long (the report says so). */
  readonly maxSeconds: number;
  readonly casesPerBatch: number;
  readonly concurrency: number;
  /** Sample the broker's RSS each time this many more inputs have gone in. */
  readonly sampleEvery: number;
  /** Reduce a failing batch to a minimal case (restarting the broker per try). */
  readonly minimize: boolean;
  readonly log: (line: string) => void;
}

export interface FuzzFailure {
  readonly kind: NonNullable<BatchResult['failure']>['kind'];
  readonly message: string;
  /** The batch's seed (reproduce with --seed S --from-batch B --batches 1). */
  readonly seed: number;
  readonly batch: number;
  /** The smallest case found that still fails alone, or null when none does (an interaction). */
  readonly minimal: SerializedCase | null;
}

export interface FuzzReport {
  readonly seed: number;
  readonly inputs: number;
  readonly cases: number;
  readonly batches: number;
  readonly seconds: number;
  readonly inputsPerSec: number;
  readonly stoppedEarly: boolean;
  readonly failures: readonly FuzzFailure[];
  readonly crashes: number;
  /** Error-level lines the brokers logged (contained failures), with the first few. */
  readonly errorLogLines: { readonly count: number; readonly first: readonly string[] };
  readonly rss: readonly { readonly inputs: number; readonly rssBytes: number }[];
}

/** The seed of batch `b` of a run: each batch can be drawn again alone. */
export function batchSeed(seed: number, b: number): number {
  return (seed + Math.imul(b, 0x9e3779b1)) | 0;
}

export function drawBatch(seed: number, b: number, casesPerBatch: number): FuzzCase[] {
  return fc.sample(batchArb(casesPerBatch), { seed: batchSeed(seed, b), numRuns: 1 })[0]!;
}

export async function runFuzz(
  options: FuzzRunOptions,
  fromBatch = 0,
  batches = Number.POSITIVE_INFINITY,
): Promise<FuzzReport> {
  const session = await FuzzSession.start();
  const started = performance.now();
  const failures: FuzzFailure[] = [];
  const rss: { inputs: number; rssBytes: number }[] = [{ inputs: 0, rssBytes: session.broker.rssBytes() }];
  const errorLines = { count: 0, first: [] as string[] };
  const takeErrorLines = (): void => {
    errorLines.count += session.broker.errorLines.count;
    for (const line of session.broker.errorLines.first) if (errorLines.first.length < 10) errorLines.first.push(line);
  };
  let inputs = 0;
  let cases = 0;
  let b = fromBatch;
  let nextSample = options.sampleEvery;
  let stoppedEarly = false;
  try {
    while (inputs < options.inputs && b < fromBatch + batches) {
      if ((performance.now() - started) / 1000 > options.maxSeconds) {
        stoppedEarly = true;
        break;
      }
      const batch = drawBatch(options.seed, b, options.casesPerBatch);
      const result = await session.runBatch(batch, options.concurrency);
      inputs += result.inputs;
      cases += batch.length;
      if (result.failure !== null) {
        options.log(
          `batch ${b} (seed ${options.seed}): ${result.failure.kind}: ${result.failure.message.slice(0, 2000)}`,
        );
        takeErrorLines();
        const minimal = options.minimize ? await minimize(session, batch, result.failure.kind, options) : null;
        failures.push({
          ...result.failure,
          seed: options.seed,
          batch: b,
          minimal: minimal === null ? null : serializeCase(minimal),
        });
        await session.restart();
      }
      if (inputs >= nextSample) {
        rss.push({ inputs, rssBytes: session.broker.rssBytes() });
        const seconds = (performance.now() - started) / 1000;
        options.log(
          `${inputs} inputs, ${Math.round(inputs / seconds)}/s, RSS ${mb(rss.at(-1)!.rssBytes)} MB, failures ${failures.length}`,
        );
        while (nextSample <= inputs) nextSample += options.sampleEvery;
      }
      b++;
    }
    rss.push({ inputs, rssBytes: session.broker.rssBytes() });
    takeErrorLines();
  } finally {
    await session.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    seed: options.seed,
    inputs,
    cases,
    batches: b - fromBatch,
    seconds,
    inputsPerSec: inputs / seconds,
    stoppedEarly,
    failures,
    crashes: failures.filter((f) => f.kind === 'crash').length,
    errorLogLines: errorLines,
    rss,
  };
}

export function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

/** Whether `cases` alone make a fresh broker fail the same way. */
async function failsAlone(
  session: FuzzSession,
  cases: readonly FuzzCase[],
  kind: string,
  concurrency: number,
): Promise<boolean> {
  await session.restart();
  const result = await session.runBatch(cases, concurrency);
  return result.failure?.kind === kind;
}

/** First the one case of the batch that fails alone, then the fewest of its inputs that still fail. */
async function minimize(
  session: FuzzSession,
  batch: readonly FuzzCase[],
  kind: string,
  options: FuzzRunOptions,
): Promise<FuzzCase | null> {
  let found: FuzzCase | null = null;
  for (const c of batch) {
    if (await failsAlone(session, [c], kind, 1)) {
      found = c;
      break;
    }
  }
  if (found === null) {
    options.log('no single case of the batch fails alone (an interaction between connections)');
    return null;
  }
  // Drop inputs one at a time while the case still fails.
  for (let i = inputCount(found) - 1; i >= 0 && inputCount(found) > 1; i--) {
    const smaller = withoutInput(found, i);
    if (await failsAlone(session, [smaller], kind, 1)) found = smaller;
  }
  options.log(`minimal failing case: ${JSON.stringify(serializeCase(found))}`);
  return found;
}

function withoutInput(c: FuzzCase, i: number): FuzzCase {
  // Two branches so each keeps its own input type.
  if (c.protocol === 'native') return { ...c, inputs: c.inputs.filter((_, j) => j !== i) };
  return { ...c, inputs: c.inputs.filter((_, j) => j !== i) };
}

/** A case as JSON: bytes in hex, JSON text also as text, so a report can be read and replayed. */
export type SerializedCase = Record<string, unknown>;

export function serializeCase(c: FuzzCase): SerializedCase {
  if (c.protocol === 'native') {
    return {
      ...c,
      inputs: c.inputs.map((m) => ({
        binary: m.binary,
        hex: m.data.toString('hex'),
        ...(c.encoding === 'json' && !m.binary ? { text: m.data.toString('utf8') } : {}),
      })),
    };
  }
  return { ...c, connect: c.connect?.toString('hex') ?? null, inputs: c.inputs.map((b) => b.toString('hex')) };
}

export function deserializeCase(s: SerializedCase): FuzzCase {
  if (s.protocol === 'native') {
    const inputs = (s.inputs as { binary: boolean; hex: string }[]).map((m) => ({
      binary: m.binary,
      data: Buffer.from(m.hex, 'hex'),
    }));
    return { ...(s as unknown as FuzzCase & { protocol: 'native' }), inputs };
  }
  const connect = s.connect === null ? null : Buffer.from(s.connect as string, 'hex');
  return {
    ...(s as unknown as FuzzCase & { protocol: 'mqtt' }),
    connect,
    inputs: (s.inputs as string[]).map((h) => Buffer.from(h, 'hex')),
  };
}
