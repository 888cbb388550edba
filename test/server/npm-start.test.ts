// `npm start` as a user runs it: with dist current it builds nothing, the broker is npm's own child
// (the script execs it, no shell in between), and a signal to the npm process stops the broker
// rather than leaving it running, reparented to PID 1.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect, it } from 'vitest';
import { findPackageRoot } from '../../server/config/package-root.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const root = findPackageRoot(import.meta.url);
const temp = useTempDirs();

it('builds nothing when dist is current', () => {
  const result = spawnSync(process.execPath, [join(root, 'scripts/build-if-stale.mjs')], { encoding: 'utf8' });
  expect(result.status).toBe(0);
  expect(result.stderr).toBe('');
});

it('a SIGTERM to `npm start` reaches the broker, which closes and exits', async () => {
  const dir = temp();
  const config = join(dir.path, 'warden.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      admin: { enabled: false },
      persistence: { store: 'memory' },
      listeners: [{ name: 'native', host: '127.0.0.1', port: 0 }],
    }),
  );
  const npm = spawn('npm', ['start', '--silent', '--', '--config', config], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  let stderr = '';
  npm.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const messages: { msg: string; pid: number }[] = [];
  const listening = new Promise<number>((resolve, reject) => {
    createInterface({ input: npm.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line) as { msg: string; pid: number };
      messages.push(entry);
      if (entry.msg === 'listening') resolve(entry.pid);
    });
    npm.on('exit', (code) => reject(new Error(`npm start exited (${code}) before listening: ${stderr}`)));
  });
  // EOF on the pipe: every process holding its write end, the broker included, has exited.
  const outputClosed = new Promise<void>((resolve) => npm.stdout.on('end', resolve));
  const brokerPid = await listening;
  // The broker is npm's direct child: nothing sits between them to swallow the signal.
  const status = readFileSync(`/proc/${brokerPid}/status`, 'utf8');
  expect(status).toMatch(new RegExp(`^PPid:\\s+${npm.pid}$`, 'm'));

  npm.kill('SIGTERM');
  await outputClosed;
  expect(messages.map((m) => m.msg)).toEqual(expect.arrayContaining(['shutting down', 'broker closed']));
  expect(() => process.kill(brokerPid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
}, 60_000);
