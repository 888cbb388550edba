// Running the compiled `warden` CLI (dist/server/cli.js; `npm test` builds first) as a child
// process. Asynchronous on purpose: the admin listener it talks to runs in this test process.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(import.meta.dirname, '../../dist/server/cli.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `warden ...args` with `env` added to a cleaned environment and `stdin` piped in (then closed), in `cwd` (default: this process's). */
export function runCli(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; stdin?: string; cwd?: string } = {},
): Promise<CliResult> {
  // Admin credentials and config from the developer's shell must not leak into the tests.
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('WARDEN_')));
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...base, ...options.env },
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(options.stdin ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
