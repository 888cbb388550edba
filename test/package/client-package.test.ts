// @warden-broker/client as a user installs it: `npm pack` of client/ (built by `npm run build`),
// installed alone into an empty directory, offline (`ws`, its one dependency, comes from a tarball
// of the `ws` this repository installed, so no registry is needed). Then what it costs on disk,
// `require` and `import` of it against a real broker, and its types for both.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPackageRoot } from '../../server/config/package-root.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const root = findPackageRoot(import.meta.url);
const clientDir = join(root, 'client');

/** The budget for installing the SDK alone. */
const MAX_INSTALL_BYTES = 2_000_000;

/** npm's own settings from an `npm test` around us (workspace, prefix...) must not steer these npm runs. */
const env = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^npm_(config|package|lifecycle)_/i.test(name)),
);

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', args, { cwd, env, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** `npm pack` of a package directory into `destination`; the tarball's path and its file list. */
async function pack(packageDir: string, destination: string): Promise<{ tarball: string; files: string[] }> {
  // --ignore-scripts: pack what `npm run build` built (the client's prepack would build it again).
  const stdout = await npm(['pack', packageDir, '--json', '--ignore-scripts', '--pack-destination', destination], root);
  const [report] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  return { tarball: join(destination, report.filename), files: report.files.map((file) => file.path).sort() };
}

let temp: TempDir;
let app: string;
let packedFiles: string[];

beforeAll(async () => {
  if (!existsSync(join(clientDir, 'dist', 'index.js'))) {
    throw new Error('client/dist is missing: run npm run build (it builds @warden-broker/client first)');
  }
  temp = makeTempDir('warden-sdk-package-');
  const client = await pack(clientDir, temp.path);
  const ws = await pack(join(root, 'node_modules', 'ws'), temp.path);
  packedFiles = client.files;
  app = join(temp.path, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'sdk-user', private: true }));
  await npm(['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', client.tarball, ws.tarball], app);
}, 180_000);

afterAll(() => {
  if (temp !== undefined) rmSync(temp.path, { recursive: true, force: true });
});

describe('@warden-broker/client, packed and installed alone', () => {
  it('packs the builds, the declarations and the notices, and no sources', () => {
    const declarations = packedFiles.filter((path) => path.startsWith('dist/types/'));
    expect(packedFiles.filter((path) => !path.startsWith('dist/types/'))).toEqual([
      'LICENSE',
      'README.md',
      'dist/THIRD-PARTY-NOTICES.md',
      'dist/browser/warden.esm.min.js',
      'dist/browser/warden.iife.min.js',
      'dist/index.cjs',
      'dist/index.js',
      'package.json',
    ]);
    expect(declarations).toContain('dist/types/client/index.d.ts');
    expect(declarations).toContain('dist/types/client/index.d.cts');
    expect(declarations).toContain('dist/types/protocol/native.d.ts');
    // A .d.cts beside every .d.ts, and nothing else.
    const esm = declarations.filter((path) => path.endsWith('.d.ts'));
    expect(declarations.filter((path) => path.endsWith('.d.cts'))).toEqual(
      esm.map((p) => p.replace(/\.d\.ts$/, '.d.cts')),
    );
    expect(esm.length * 2).toBe(declarations.length);
  });

  it(`installs with ws as its only dependency, in under ${MAX_INSTALL_BYTES} bytes of node_modules`, async () => {
    const installed = readdirSync(join(app, 'node_modules'), { recursive: true, encoding: 'utf8' }).filter((path) =>
      /^(@[^/]+\/)?[^@/][^/]*\/package\.json$/.test(path),
    );
    expect(installed.sort()).toEqual(['@warden-broker/client/package.json', 'ws/package.json']);
    // du -sb: apparent sizes, directories included, as the measurement in docs/client.md.
    const { stdout } = await run('du', ['-sb', join(app, 'node_modules')]);
    const bytes = Number(stdout.split('\t')[0]);
    expect(bytes).toBeGreaterThan(100_000);
    expect(bytes).toBeLessThan(MAX_INSTALL_BYTES);
  });

  describe('in Node, against a real broker', () => {
    let tb: TestBroker;
    beforeAll(async () => {
      tb = await startTestBroker();
    });
    afterAll(() => tb?.close());

    // The same program, through `require` and through `import`. On Node 20 (no global WebSocket)
    // the SDK loads `ws` from the app's node_modules: the dependency the package declares.
    const program = (load: string): string => `${load}
      (async () => {
        const client = await connect(process.argv[2], { user: 'app' });
        let arrived;
        const message = new Promise((resolve) => (arrived = resolve));
        await client.subscribe({ topic: 'pkg/t' }, arrived);
        await client.publish('pkg/t', { via: 'package' }, { ack: true });
        const read = await message;
        console.log(JSON.stringify({ user: client.user, json: read.json(), isError: new WardenError('X', 'x') instanceof Error }));
        await client.close();
      })().catch((error) => {
        console.error(error);
        process.exitCode = 1;
      });
    `;

    it.each([
      ['require', 'main.cjs', "const { connect, WardenError } = require('@warden-broker/client');"],
      ['import', 'main.mjs', "import { connect, WardenError } from '@warden-broker/client';"],
    ])('works through %s', async (_, file, load) => {
      writeFileSync(join(app, file), program(load));
      const { stdout } = await run(process.execPath, [file, tb.url], { cwd: app, timeout: 30_000 });
      expect(JSON.parse(stdout)).toEqual({ user: 'app', json: { via: 'package' }, isError: true });
    });
  });

  it('has types for import (.d.ts) and require (.d.cts), with neither DOM nor Node types needed', async () => {
    writeFileSync(
      join(app, 'esm.mts'),
      `import { connect, WardenError, type Message } from '@warden-broker/client';
export const client = connect('ws://127.0.0.1:1/', { tls: { ca: 'pem' } });
export const read = (message: Message): unknown => message.json() ?? message.text();
export const isWardenError = (error: unknown): boolean => error instanceof WardenError;
`,
    );
    writeFileSync(
      join(app, 'cjs.cts'),
      `import sdk = require('@warden-broker/client');
export const client: Promise<sdk.Client> = sdk.connect(['ws://127.0.0.1:1/'], { token: 't' });
export const code: string = sdk.ClientErrorCodes.PAYLOAD_NOT_JSON;
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          lib: ['es2022'],
          types: [],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
        },
        files: ['esm.mts', 'cjs.cts'],
      }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const { stdout } = await run(process.execPath, [tsc, '-p', app, '--listFiles'], { cwd: app, timeout: 60_000 });
    const types = join(app, 'node_modules', '@warden-broker', 'client', 'dist', 'types', 'client');
    const listed = stdout.split('\n');
    expect(listed).toContain(join(types, 'index.d.ts'));
    expect(listed).toContain(join(types, 'index.d.cts'));
  }, 60_000);
});
