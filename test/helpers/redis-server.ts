// A real `redis-server` (Debian's, installed by scripts/test.sh) on a free port of 127.0.0.1, in a
// temporary directory, with no persistence: started for a test file and stopped by PID. Redis has
// no "port 0", so a free port is found first and a lost race to another process is retried.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** SIGKILL (a crash) or SIGTERM; resolves once the process is gone. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Start it again on the same port (after stop), empty. */
  restart(): Promise<void>;
  /** Stop it and remove its directory (afterAll). */
  dispose(): Promise<void>;
}

const READY = /Ready to accept connections/;
const PORT_TAKEN = /Address already in use/;

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Resolves with the child once redis-server logs that it is ready; rejects with its output if it exits first. */
function launch(port: number, dir: string, extraArgs: readonly string[]): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--loglevel',
      'notice',
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    const output: string[] = [];
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      output.push(line);
      if (READY.test(line)) resolve(child);
    });
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.once('exit', (code) => {
      const text = output.join('\n');
      reject(
        Object.assign(new Error(`redis-server exited (${code}): ${text.slice(-500)}`), {
          portTaken: PORT_TAKEN.test(text),
        }),
      );
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Start redis-server on a free port; `extraArgs` are passed on (e.g. `--requirepass`). */
export async function startRedisServer(extraArgs: readonly string[] = []): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-redis-'));
  let child: ChildProcess | null = null;
  let port = 0;
  for (let attempt = 0; child === null; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, dir, extraArgs);
    } catch (err) {
      if (attempt >= 4 || !(err as { portTaken?: boolean }).portTaken) throw err;
    }
  }
  let current: ChildProcess = child;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return current.pid!;
    },
    async stop(signal = 'SIGTERM') {
      const done = exited(current);
      current.kill(signal);
      await done;
    },
    async restart() {
      current = await launch(port, dir, extraArgs);
    },
    async dispose() {
      const done = exited(current);
      current.kill('SIGTERM');
      await done;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
