// The child processes a bench:cluster run starts (redis-server, Warden nodes): each one is stopped
// by its PID, SIGTERM and then SIGKILL if it has not exited after a grace period; and whatever is
// still running when this process exits (an error, Ctrl-C) is killed by PID on the way out.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const STOP_GRACE_MS = 5_000;

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Keep track of `child` until it exits. */
export function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM, then SIGKILL after STOP_GRACE_MS; resolves once the process is gone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await gone;
  clearTimeout(timer);
}

/**
 * Resolve with the first stdout line for which `pick` returns a value; reject when the process
 * exits first (with the end of its stderr) or after `timeoutMs`. The lines after it are read and
 * dropped, so the child never blocks on a full pipe.
 */
export function waitForLine<T>(
  child: ChildProcess,
  what: string,
  timeoutMs: number,
  pick: (line: string) => T | undefined,
): Promise<T> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  return new Promise<T>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const done = (): void => {
      clearTimeout(timer);
      lines.off('line', onLine);
      child.off('exit', onExit);
    };
    const onLine = (line: string): void => {
      const value = pick(line);
      if (value === undefined) return;
      done();
      resolve(value);
    };
    const onExit = (code: number | null): void => {
      done();
      reject(new Error(`${what} exited with ${code} before it was ready: ${stderr.trim()}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${what} was not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    lines.on('line', onLine);
    child.once('exit', onExit);
  });
}
