// The disk's flush rate, for reading `persistence.sync: always` figures: a loop that writes 4 KiB
// and fsyncs it, in a file in `dir` (the filesystem the stores live on), for `seconds`. With
// `always` a PUBACK waits for a flush, so a publisher that waits for each PUBACK gets at most this
// rate; a window of publishes shares each flush (docs/persistence.md).
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface FsyncRate {
  /** Write + fsync pairs per second. */
  perSec: number;
  /** Median time of one write + fsync, ms. */
  medianMs: number;
  count: number;
  seconds: number;
  /** The directory the file was in. */
  dir: string;
}

export function measureFsyncRate(dir: string, seconds: number): FsyncRate {
  const work = mkdtempSync(join(dir, 'warden-fsync-'));
  const fd = openSync(join(work, 'probe'), 'w');
  const block = Buffer.alloc(4096, 0x5a);
  const times: number[] = [];
  try {
    const start = performance.now();
    const end = start + seconds * 1000;
    for (let t = start; t < end;) {
      // Rewrite the same 64 KiB over and over: a flush of data, not of a growing file's metadata.
      writeSync(fd, block, 0, block.length, (times.length % 16) * block.length);
      fsyncSync(fd);
      const after = performance.now();
      times.push(after - t);
      t = after;
    }
    const elapsed = (performance.now() - start) / 1000;
    times.sort((a, b) => a - b);
    return {
      perSec: times.length / elapsed,
      medianMs: times[Math.floor(times.length / 2)] ?? Number.NaN,
      count: times.length,
      seconds: elapsed,
      dir,
    };
  } finally {
    closeSync(fd);
    rmSync(work, { recursive: true, force: true });
  }
}
