#!/usr/bin/env node
// `npm start` and the `bench:*` scripts run this first: it builds (`npm run build`) only
// when a source is newer than the last build, so a current dist starts at once. Plain JavaScript,
// so it runs before anything is compiled. `--mark`: record that dist was just built.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = join(root, 'dist', '.build-stamp');
const SOURCE_DIRS = ['protocol', 'server', 'client', 'console', 'bench', 'scripts'];
// Under client/: its sources and build script; its own dist and node_modules are skipped below.
const SOURCE_FILES = ['package.json', 'tsconfig.json', 'tsconfig.build.json'];

/** The newest modification time among the build's inputs. */
function newestSource() {
  let newest = 0;
  const visit = (path) => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path)) if (name !== 'node_modules' && name !== 'dist') visit(join(path, name));
    } else if (/\.(ts|tsx|mts|cts|mjs|json|css|html)$/.test(path)) newest = Math.max(newest, stat.mtimeMs);
  };
  for (const dir of SOURCE_DIRS) if (existsSync(join(root, dir))) visit(join(root, dir));
  for (const file of SOURCE_FILES)
    if (existsSync(join(root, file))) newest = Math.max(newest, statSync(join(root, file)).mtimeMs);
  return newest;
}

const mark = () => writeFileSync(STAMP, `${new Date().toISOString()}\n`);

if (process.argv.includes('--mark')) {
  // `npm run build` just ran tsc: what it built is current.
  mark();
} else if (!existsSync(join(root, 'server', 'cli.ts'))) {
  // An installed package: dist is all there is, and it is what was published.
} else if ((existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0) < newestSource()) {
  process.stderr.write('warden: building dist (sources changed since the last build)\n');
  // The whole build (the SDK workspace, the console, then tsc); it marks dist as current when it succeeds.
  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
