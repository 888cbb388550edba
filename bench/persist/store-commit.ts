// The broker's LMDB store alone, in this process, with no broker or socket around it: `batch`
// putMessage calls (the queued-message records the broker writes for an absent session), then
// await whenDurable(), over and over for `seconds`. The time each round takes is what a PUBACK
// waits for, at most, when a window of `batch` publishes lands in one turn; batch / that time
// bounds the publish rate of the offline-queue scenario for that sync mode. For comparison,
// `no-flush`: the same records through lmdb-js opened as the store opens it but with `noSync`
// (commits that never wait for the disk), awaiting the last put's promise (its commit).
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { LmdbStore } from '../../server/store/lmdb-store.js';
import type { QueuedRecord } from '../../server/store/records.js';
import { queuedRecord } from './fill-store.js';

export type CommitVariant = 'batched' | 'always' | 'no-flush';

export interface StoreCommit {
  variant: CommitVariant;
  batch: number;
  rounds: number;
  /** Records written per second, waiting for each round's whenDurable(). */
  perSec: number;
  /** One round (batch puts + whenDurable), ms. */
  medianMs: number;
  p90Ms: number;
}

interface Writer {
  put(record: QueuedRecord): void;
  /** Resolves when what was put so far is as durable as the variant promises. */
  durable(): Promise<unknown> | null;
  close(): Promise<void>;
}

function writerFor(variant: CommitVariant, path: string): Writer {
  if (variant !== 'no-flush') {
    const store = LmdbStore.open({ path, sync: variant }, null, null);
    return { put: (r) => store.putMessage(r), durable: () => store.whenDurable(), close: () => store.close() };
  }
  const env = open({ path, maxDbs: 8, encoder: { copyBuffers: true }, noSync: true });
  const db = env.openDB<QueuedRecord, (string | number)[]>('messages', {});
  let last: Promise<boolean> | null = null;
  return {
    // lmdb-js hands every put of one transaction the same promise: awaiting the last one covers them.
    put: (r) => {
      last = db.put([r.clientId, r.seq], r);
    },
    durable: () => last,
    close: () => env.close(),
  };
}

export async function measureStoreCommit(
  dir: string,
  variant: CommitVariant,
  batch: number,
  payloadBytes: number,
  seconds: number,
): Promise<StoreCommit> {
  const work = mkdtempSync(join(dir, 'warden-store-commit-'));
  const writer = writerFor(variant, join(work, 'store'));
  const payload = Buffer.alloc(payloadBytes, 0x61);
  const times: number[] = [];
  let seq = 0;
  try {
    const start = performance.now();
    const end = start + seconds * 1000;
    for (let t = start; t < end;) {
      for (let k = 0; k < batch; k++) writer.put(queuedRecord('bench', seq++, 'bench/persist', payload));
      await writer.durable();
      const after = performance.now();
      times.push(after - t);
      t = after;
    }
    const elapsed = (performance.now() - start) / 1000;
    times.sort((a, b) => a - b);
    return {
      variant,
      batch,
      rounds: times.length,
      perSec: seq / elapsed,
      medianMs: times[Math.floor(times.length / 2)] ?? Number.NaN,
      p90Ms: times[Math.floor(times.length * 0.9)] ?? Number.NaN,
    };
  } finally {
    await writer.close();
    rmSync(work, { recursive: true, force: true });
  }
}
