// `warden store compact`: LMDB never gives disk space back. Pages freed by deletes are reused, but
// data.mdb keeps the size of its fullest day. A compacted copy (mdb_env_copy2 with
// MDB_CP_COMPACT, through lmdb-js's backup) holds only the pages in use, renumbered. It is made
// in `compact.tmp/` inside the store's directory (so the rename below stays on one file system),
// opened and counted as a store, and only then renamed over data.mdb. The original is kept as
// data.mdb.bak (a hard link) until the copy is in place, and at every moment data.mdb is a whole
// store: the old one or the new one, never none.
//
// The store stays open, and so locked against a broker (broker.lock), until the copy has replaced
// it. Renaming over a file that is open and mapped is fine on Linux and macOS: the mapping keeps
// the old file, which goes away when it is closed.
import fs from 'node:fs';
import path from 'node:path';
import { LmdbStore } from './lmdb-store.js';
import { StoreError } from './store-error.js';
import type { StoreCounts } from './store.js';

const WORK_DIR = 'compact.tmp';
const BACKUP_FILE = 'data.mdb.bak';

export interface CompactResult {
  /** Bytes of data.mdb before and after. */
  readonly before: number;
  readonly after: number;
  readonly counts: StoreCounts;
}

/** Compact the store in `dir` (an existing store: the caller checks there is one). */
export async function compactLmdbStore(dir: string): Promise<CompactResult> {
  const dataFile = path.join(dir, 'data.mdb');
  const backupFile = path.join(dir, BACKUP_FILE);
  const work = path.join(dir, WORK_DIR);
  const copyFile = path.join(work, 'data.mdb');
  const store = LmdbStore.open({ path: dir, sync: 'always' }, null, null);
  let result: CompactResult;
  try {
    if (fs.existsSync(backupFile))
      throw new StoreError(
        `${backupFile} is left from a compaction that did not finish (${dataFile} is the store, whole). Move ${BACKUP_FILE} aside or delete it, then compact again.`,
      );
    const counts = store.counts();
    const before = fs.statSync(dataFile).size;
    fs.rmSync(work, { recursive: true, force: true }); // left by a compaction that was interrupted
    fs.mkdirSync(work);
    await store.copyTo(work, true);
    const copied = await countsOf(work);
    if (!sameCounts(copied, counts))
      throw new StoreError(
        `${copyFile}: the compacted copy holds ${describe(copied)}, the store ${describe(counts)}; the store is left as it was.`,
      );
    const after = fs.statSync(copyFile).size;
    keepOriginal(dataFile, backupFile);
    try {
      fs.renameSync(copyFile, dataFile);
    } catch (err) {
      fs.rmSync(backupFile, { force: true }); // data.mdb is still the original
      throw new StoreError(`${dataFile}: cannot replace it with the compacted copy: ${(err as Error).message}`, {
        cause: err,
      });
    }
    result = { before, after, counts };
  } finally {
    await store.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
  fs.rmSync(backupFile, { force: true });
  return result;
}

/** The copy opened as a store (file check and format stamp included) and counted. */
async function countsOf(dir: string): Promise<StoreCounts> {
  const copy = LmdbStore.open({ path: dir, sync: 'none' }, null, null);
  try {
    return copy.counts();
  } finally {
    await copy.close();
  }
}

/** data.mdb.bak: a hard link to the original (no copy of a large file); a copy where links are not supported. */
function keepOriginal(dataFile: string, backupFile: string): void {
  try {
    fs.linkSync(dataFile, backupFile);
  } catch {
    fs.copyFileSync(dataFile, backupFile, fs.constants.COPYFILE_EXCL);
  }
}

function sameCounts(a: StoreCounts, b: StoreCounts): boolean {
  return a.retained === b.retained && a.sessions === b.sessions && a.messages === b.messages && a.wills === b.wills;
}

function describe(c: StoreCounts): string {
  return `${c.retained} retained, ${c.sessions} sessions, ${c.messages} messages, ${c.wills} wills`;
}
