// What `npm pack` would put in the package: the compiled broker and SDK (no benchmarks, scripts
// or source maps), the example configs, docs/, README, LICENSE and CHANGELOG; never key material,
// passphrases or repository metadata, even after `npm run certs:dev` has written development keys
// under config/examples/certs/. Checked twice: on a scratch copy of the package holding every kind
// of file (so the rules are proven whatever this checkout holds), and on this checkout.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { findPackageRoot } from '../../server/config/package-root.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const root = findPackageRoot(import.meta.url);

/** Paths that must never be packed. */
const FORBIDDEN = [
  /-key[^/]*\.pem$/,
  /\.key$/,
  /\.p12$/,
  /\.pfx$/,
  /passphrase/i,
  /(^|\/)\.git(\/|$)/,
  /(^|\/)\.env/,
  /(^|\/)config\/examples\/certs\//,
];

async function packedFiles(cwd: string): Promise<string[]> {
  // --ignore-scripts: `prepare` would build; what is packed is decided by package.json alone.
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd,
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [report] = JSON.parse(stdout) as [{ files: { path: string }[] }];
  return report.files.map((f) => f.path).sort();
}

const temp = useTempDirs();

describe('npm pack', () => {
  it('leaves out development keys, passphrase files, .env files and .git from config/ and dist/', async () => {
    const dir = temp().path;
    copyFileSync(join(root, 'package.json'), join(dir, 'package.json'));
    const put = (path: string): void => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), 'x\n');
    };
    const shipped = [
      'config/warden.yaml',
      'config/examples/tls.yaml',
      'config/examples/modules/m.mjs',
      'dist/server/cli.js',
      'dist/server/index.d.ts',
      'dist/server/client.js',
      'dist/protocol/native.js',
      'dist/console/index.html',
      'docs/admin.md',
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
    ];
    // Built, but not for users: benchmarks need dev dependencies, maps point at unshipped sources.
    const unshipped = [
      'dist/bench/peers.js',
      'dist/client/index.js',
      'dist/scripts/certs-dev.js',
      'dist/server/cli.js.map',
      'dist/test/x.test.js',
      'dist/.build-stamp',
      'server/cli.ts',
      'test/x.test.ts',
      'bench/results/peers.json',
      'docs/console/overview.png',
    ];
    // What `npm run certs:dev` writes (scripts/lib/dev-certificates.ts), and key material anywhere else.
    const secrets = [
      'config/examples/certs/ca.pem',
      'config/examples/certs/ca-key.pem',
      'config/examples/certs/server.pem',
      'config/examples/certs/server-key.pem',
      'config/examples/certs/server-key-encrypted.pem',
      'config/examples/certs/server-key-passphrase.txt',
      'config/examples/my-key.pem',
      'config/tls/server.key',
      'config/tls/client.p12',
      'config/tls/client.pfx',
      'config/key-passphrase',
      'config/.env',
      'config/.env.local',
      'dist/leftover-key.pem',
      'config/.git/HEAD',
    ];
    for (const path of [...shipped, ...unshipped, ...secrets]) put(path);

    expect(await packedFiles(dir)).toEqual(['package.json', ...shipped].sort());
  }, 90_000);

  it('packs what a user needs from this checkout, and nothing forbidden or internal', async () => {
    const files = await packedFiles(root);
    for (const needed of [
      'package.json',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      'config/warden.yaml',
      'config/examples/secure.yaml',
      'docs/admin.md',
      'docs/client.md',
      'dist/server/cli.js',
      'dist/server/index.js',
      'dist/server/index.d.ts',
      'dist/server/client.js',
      'docs/console.md',
      'dist/console/index.html',
      'dist/console/assets/console.js',
      'dist/console/assets/console.css',
      'dist/console/THIRD-PARTY-NOTICES.md',
    ])
      expect(files).toContain(needed);
    // The console's screenshots are for the repository's README, not for an install.
    expect(files.filter((path) => path.endsWith('.png'))).toEqual([]);
    expect(files.filter((path) => FORBIDDEN.some((pattern) => pattern.test(path)))).toEqual([]);
    // Only compiled JavaScript and declarations from dist; no maps, benchmarks, scripts or sources.
    const internal = files.filter(
      (path) =>
        path.endsWith('.map') ||
        /^dist\/(bench|scripts|test|client)\//.test(path) ||
        (path.endsWith('.ts') && !path.endsWith('.d.ts')),
    );
    expect(internal).toEqual([]);
    // Every doc the README links to ships, so `warden --help`'s pointers resolve in an install.
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const linked = [...readme.matchAll(/\]\((docs\/[a-z-]+\.md)/g)].map((m) => m[1]!);
    expect(linked.length).toBeGreaterThan(5);
    expect(linked.filter((doc) => !files.includes(doc))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { license?: string };
    expect(pkg.license).toBe('Apache-2.0');
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toContain('Apache License');
  }, 90_000);
});
