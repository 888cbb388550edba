// A redis-server of its own for each bench:cluster run: Debian's binary on a free port of
// 127.0.0.1, in a temp dir, with no persistence (`--save '' --appendonly no`), stopped by PID.
// Redis has no "port 0": a free port is found first, and a lost race for it is retried.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../mqtt-load/brokers.js';
import { stopChild, track, waitForLine } from './children.js';

const START_TIMEOUT_MS = 10_000;

export interface BenchRedis {
  readonly url: string;
  readonly pid: number;
  readonly version: string;
  stop(): Promise<void>;
}

/** Why redis-server cannot run here, or null. */
export function redisMissing(): string | null {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
    ? null
    : 'redis-server not found (apt-get install redis-server)';
}

function redisVersion(): string {
  const out = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return /v=(\S+)/.exec(out)?.[1] ?? '?';
}

export async function startRedis(): Promise<BenchRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-redis-'));
  try {
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const child = track(
        spawn(
          'redis-server',
          ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        ),
      );
      const output: string[] = [];
      try {
        await waitForLine(child, `redis-server on port ${port}`, START_TIMEOUT_MS, (line) => {
          output.push(line);
          return /Ready to accept connections/.test(line) ? true : undefined;
        });
      } catch (err) {
        await stopChild(child);
        // Another process took the port between freePort() and the bind: try another.
        if (attempt < 4 && output.some((l) => /Address already in use/.test(l))) continue;
        throw err;
      }
      return {
        url: `redis://127.0.0.1:${port}`,
        pid: child.pid!,
        version: redisVersion(),
        stop: async () => {
          await stopChild(child);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
