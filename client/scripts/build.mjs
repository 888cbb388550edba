#!/usr/bin/env node
// Builds @warden-broker/client into client/dist (the root `npm run build` runs it first):
//   index.js, index.cjs          Node (and bundlers): ESM and CommonJS; `ws` stays an import
//   browser/warden.esm.min.js    browsers without a bundler: <script type="module">
//   browser/warden.iife.min.js   a classic <script>: the API on `globalThis.Warden`
//   types/**/*.d.ts, *.d.cts     declarations for `import` and `require`
// Each bundle holds what the SDK needs from ../protocol and msgpackr, so `ws` is the package's only
// dependency: msgpackr alone would install 2 MB. Plain JavaScript: it runs before anything is compiled.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const clientDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(clientDir, 'dist');
const require = createRequire(import.meta.url);
const { version } = JSON.parse(readFileSync(join(clientDir, 'package.json'), 'utf8'));

rmSync(dist, { recursive: true, force: true });

// Declarations, checked as tsconfig.client.json checks the SDK (browser types, no Node types).
const tsc = require.resolve('typescript/bin/tsc');
const typesBuild = spawnSync(process.execPath, [tsc, '-p', join(clientDir, 'tsconfig.types.json')], {
  stdio: 'inherit',
});
if (typesBuild.status !== 0) process.exit(typesBuild.status ?? 1);
writeCommonJsDeclarations(join(dist, 'types'));

const banner = `/*! @warden-broker/client ${version}. Includes msgpackr, MIT License, Copyright (c) 2020 Kris Zyp: see THIRD-PARTY-NOTICES.md */`;
const common = {
  entryPoints: [join(clientDir, 'index.ts')],
  bundle: true,
  target: 'es2022',
  banner: { js: banner },
  legalComments: 'inline',
  logLevel: 'warning',
  // msgpackr's `browser` build is its portable one (no native add-on, no Node built-ins); it comes
  // before `node` in msgpackr's exports, so asking for it picks it on every platform. The SDK only
  // uses plain maps, which both builds read and write alike.
  conditions: ['browser'],
};
await Promise.all([
  build({ ...common, platform: 'node', format: 'esm', external: ['ws'], outfile: join(dist, 'index.js') }),
  build({ ...common, platform: 'node', format: 'cjs', external: ['ws'], outfile: join(dist, 'index.cjs') }),
  // In browsers `ws` resolves to its browser stub (a function that throws), which the SDK never
  // calls there: the platform's WebSocket comes first (client/socket.ts).
  build({
    ...common,
    platform: 'browser',
    format: 'esm',
    minify: true,
    outfile: join(dist, 'browser', 'warden.esm.min.js'),
  }),
  build({
    ...common,
    platform: 'browser',
    format: 'iife',
    globalName: 'Warden',
    minify: true,
    outfile: join(dist, 'browser', 'warden.iife.min.js'),
  }),
]);

// The bundles copy msgpackr's code, so its licence travels with them.
const msgpackrLicense = readFileSync(join(dirname(require.resolve('msgpackr')), '..', 'LICENSE'), 'utf8');
writeFileSync(
  join(dist, 'THIRD-PARTY-NOTICES.md'),
  `# Third-party notices\n\nThe bundles in this directory include msgpackr (https://github.com/kriszyp/msgpackr):\n\n${msgpackrLicense.trimEnd()}\n`,
);

/**
 * A `.d.cts` beside each `.d.ts`: in a package of "type": "module", TypeScript reads a `.d.ts` as
 * an ES module, which a CommonJS consumer (`require`) must not be typed against. Relative
 * specifiers move from `.js` to `.cjs` so the copies refer to each other.
 */
function writeCommonJsDeclarations(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      writeCommonJsDeclarations(path);
    } else if (entry.name.endsWith('.d.ts')) {
      const text = readFileSync(path, 'utf8').replace(/(['"])(\.{1,2}\/[^'"]*)\.js\1/g, '$1$2.cjs$1');
      writeFileSync(path.replace(/\.d\.ts$/, '.d.cts'), text);
    }
  }
}
