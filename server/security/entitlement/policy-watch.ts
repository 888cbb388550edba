// Watching a policy file (docs/entitlement.md#watching-the-policy-file). The directory is watched,
// not the file: editors and deploy tools often write a new file and rename it over the old one,
// which ends a watch on the file itself. Events for the file's name, or for a name starting with
// ".." (Kubernetes swaps a mounted ConfigMap's `..data` link), make one change per burst: an
// editor's save is several events (write, rename, chmod) within a few milliseconds.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Events less than this apart are one change. */
export const WATCH_DEBOUNCE_MS = 100;
/** A burst that goes on and on still reports a change this often. */
export const WATCH_MAX_WAIT_MS = 1000;

export interface FileWatch {
  close(): void;
}

/**
 * Calls `changed` after each burst of events for `file`, until close(). `failed` is told once if
 * the watch itself fails (its directory removed, the system's limit on watches reached): it has
 * stopped. Throws if the directory cannot be watched at all.
 */
export function watchFile(file: string, changed: () => void, failed: (err: Error) => void): FileWatch {
  const name = basename(file);
  let timer: NodeJS.Timeout | null = null;
  let burstStartedAt = 0;
  let closed = false;
  const fire = (): void => {
    timer = null;
    if (!closed) changed();
  };
  // Not persistent: a watch alone does not keep the process alive.
  const watcher: FSWatcher = watch(dirname(file), { persistent: false }, (_event, filename) => {
    if (closed) return;
    if (filename !== null && filename !== name && !filename.startsWith('..')) return;
    const now = Date.now();
    if (timer === null) burstStartedAt = now;
    else clearTimeout(timer);
    const wait = Math.max(0, Math.min(WATCH_DEBOUNCE_MS, burstStartedAt + WATCH_MAX_WAIT_MS - now));
    timer = setTimeout(fire, wait);
    timer.unref();
  });
  const close = (): void => {
    if (closed) return;
    closed = true;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    watcher.close();
  };
  watcher.on('error', (err: Error) => {
    if (closed) return;
    close();
    failed(err);
  });
  return { close };
}
