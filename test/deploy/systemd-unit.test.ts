// deploy/warden.service as systemd reads it: `systemd-analyze verify` finds nothing to warn about
// (with ExecStart pointed at this machine's node), and does warn about a broken copy, so a silent
// verify means something. Where systemd-analyze is not installed there is nothing to run.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { findPackageRoot } from '../../server/config/package-root.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const root = findPackageRoot(import.meta.url);
const temp = useTempDirs();
const available = spawnSync('systemd-analyze', ['--version']).status === 0;

function verify(unitText: string): string {
  const path = join(temp().path, 'warden.service');
  writeFileSync(path, unitText);
  const result = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
  return `${result.stderr}${result.status === 0 ? '' : `(exit ${result.status})`}`;
}

const unit = readFileSync(join(root, 'deploy/warden.service'), 'utf8').replace('/usr/bin/node', process.execPath);

it('names the built CLI, reloads with SIGHUP, and runs as its own user', () => {
  expect(unit).toMatch(/^ExecStart=\S+ \/opt\/warden\/node_modules\/warden-broker\/dist\/server\/cli\.js --config /m);
  expect(unit).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  expect(unit).toMatch(/^User=warden$/m);
});

it.skipIf(!available)('passes systemd-analyze verify, which catches a broken unit', () => {
  expect(verify(unit)).toBe('');
  expect(verify(unit.replace('Type=exec', 'Type=sometimes'))).toContain('Failed to parse service type');
});
