// One broker per store: `broker.lock` in the store's directory holds the PID of the process that
// has it open. LMDB itself would let two processes share the file, but two brokers restoring and
// expiring the same sessions would undo each other's work. A lock left by a process that is gone
// (kill -9) is taken over.
import fs from 'node:fs';
import path from 'node:path';
import { StoreError } from './store-error.js';

const LOCK_FILE = 'broker.lock';

/** Take the lock of the store in `dir`, or throw a StoreError naming the process that holds it. */
export function takeStoreLock(dir: string): void {
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw lockError(file, err);
    }
    const holder = lockHolder(file);
    if (holder !== null && holder !== process.pid && isAlive(holder))
      throw new StoreError(
        `${dir}: the store is in use by process ${holder} (${file}). Stop that broker, or set persistence.path to another directory.`,
      );
    if (holder === process.pid)
      throw new StoreError(
        `${dir}: this process already has the store open; give each broker its own persistence.path.`,
      );
    fs.rmSync(file, { force: true }); // left by a process that is gone
  }
  throw new StoreError(`${dir}: could not take the store's lock (${file}): another process keeps taking it.`);
}

export function releaseStoreLock(dir: string): void {
  const file = path.join(dir, LOCK_FILE);
  if (lockHolder(file) === process.pid) fs.rmSync(file, { force: true });
}

function lockHolder(file: string): number | null {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockError(file: string, err: unknown): StoreError {
  return new StoreError(
    `${file}: cannot create the store's lock file (${(err as NodeJS.ErrnoException).code ?? String(err)}). Set persistence.path to a writable directory.`,
    { cause: err },
  );
}
