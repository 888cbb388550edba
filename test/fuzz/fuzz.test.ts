// The bounded fuzz run of `npm test` (docs/benchmarks.md, "Fuzzing"): a few thousand generated
// and mutated native frames (JSON, msgpack) and MQTT packets (3.1, 3.1.1, 5), some before logon
// and some after, against the real broker CLI in a child process (`npm test` builds dist/ first).
// After every batch: the broker is alive and wrote nothing to stderr (Node prints an uncaught
// exception or unhandled rejection there), a native and an MQTT control client still get their
// messages, and new connections still log on. bench/fuzz.ts is the long run (`npm run fuzz`).
//
// Seeded: WARDEN_FUZZ_SEED=N replays a run. A failure prints fast-check's seed and path and the
// batch shrunk to what still fails.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { batchArb, FuzzSession } from '../../bench/fuzz/fuzz-session.js';
import { serializeCase } from '../../bench/fuzz/fuzz-run.js';

const SEED = Number(process.env.WARDEN_FUZZ_SEED ?? 20_261_205);
/** Batches of up to 40 connections: about 3,000 inputs in all. */
const RUNS = 40;
const CASES_PER_BATCH = 40;
const MIN_INPUTS = 2000;

let session: FuzzSession | null = null;
beforeAll(async () => {
  session = await FuzzSession.start();
}, 60_000);
afterAll(async () => {
  await session?.stop();
});

it('survives thousands of generated and mutated native and MQTT inputs', async () => {
  let inputs = 0;
  await fc.assert(
    fc.asyncProperty(batchArb(CASES_PER_BATCH), async (batch) => {
      const result = await session!.runBatch(batch, 8);
      inputs += result.inputs;
      if (result.failure !== null) {
        // Shrinking runs the property again: on a broker that works.
        await session!.restart();
        throw new Error(
          `${result.failure.kind}: ${result.failure.message}\ncases: ${JSON.stringify(batch.map(serializeCase))}`,
        );
      }
    }),
    // Shrinking restarts the broker per failing try: bounded so a failing run still ends (with
    // the smallest batch found so far).
    { seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: 60_000 },
  );
  expect(inputs).toBeGreaterThanOrEqual(MIN_INPUTS);
}, 180_000);
