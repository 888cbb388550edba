#!/usr/bin/env node
// Builds the admin console (console/) into dist/console, which the admin listener serves at /console/:
//   index.html            the page (no inline script or style: the console's CSP allows neither)
//   assets/console.js     console/src/main.tsx with Preact and uPlot, minified
//   assets/console.css    console/src/console.css with uPlot's stylesheet
// It prints each file's size raw and gzipped, writes them to dist/console/bundle-size.json, and fails
// when the page's gzipped total passes the budget: an admin page should load at once, even over a VPN.
// Plain JavaScript, like client/scripts/build.mjs: it runs before anything is compiled.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'console');
const out = join(root, 'dist', 'console');
const assets = join(out, 'assets');
const require = createRequire(import.meta.url);
/** The gzipped total of index.html, console.js and console.css may not pass this. */
const BUDGET_GZIP_BYTES = 150 * 1024;

rmSync(out, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const common = {
  bundle: true,
  minify: true,
  target: 'es2020',
  platform: 'browser',
  logLevel: 'warning',
  // Preact's and uPlot's licences travel in THIRD-PARTY-NOTICES.md, not in the bundle.
  legalComments: 'none',
};
await Promise.all([
  build({
    ...common,
    entryPoints: [join(source, 'src', 'main.tsx')],
    outfile: join(assets, 'console.js'),
    format: 'esm',
    tsconfig: join(source, 'tsconfig.json'),
    banner: { js: '/*! Warden console. Includes Preact and uPlot (MIT): see ../THIRD-PARTY-NOTICES.md */' },
  }),
  // console.css imports uPlot's stylesheet first, so the bundle is one file in the right order.
  build({ ...common, entryPoints: [join(source, 'src', 'console.css')], outfile: join(assets, 'console.css') }),
]);
copyFileSync(join(source, 'index.html'), join(out, 'index.html'));

const licence = (pkg) =>
  readFileSync(join(dirname(require.resolve(`${pkg}/package.json`)), 'LICENSE'), 'utf8').trimEnd();
writeFileSync(
  join(out, 'THIRD-PARTY-NOTICES.md'),
  `# Third-party notices\n\nassets/console.js includes Preact (https://preactjs.com):\n\n${licence('preact')}\n\n` +
    `assets/console.js and assets/console.css include uPlot (https://github.com/leeoniya/uPlot):\n\n${licence('uplot')}\n`,
);

// What a browser downloads for the page.
const files = ['index.html', 'assets/console.js', 'assets/console.css'].map((file) => {
  const bytes = readFileSync(join(out, file));
  return { file, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
});
const totalBytes = files.reduce((sum, f) => sum + f.bytes, 0);
const totalGzipBytes = files.reduce((sum, f) => sum + f.gzipBytes, 0);
writeFileSync(join(out, 'bundle-size.json'), `${JSON.stringify({ files, totalGzipBytes }, null, 2)}\n`);

const kb = (n) => `${(n / 1024).toFixed(1)} KB`.padStart(10);
const width = Math.max(...files.map((f) => f.file.length), 5);
console.log(`console: ${relative(root, out)}\n  ${'file'.padEnd(width)}        raw      gzip`);
for (const f of files) console.log(`  ${f.file.padEnd(width)} ${kb(f.bytes)}${kb(f.gzipBytes)}`);
console.log(
  `  ${'total'.padEnd(width)} ${kb(totalBytes)}${kb(totalGzipBytes)}  (budget ${kb(BUDGET_GZIP_BYTES).trim()} gzip)`,
);
if (totalGzipBytes > BUDGET_GZIP_BYTES) {
  console.error(`console: ${totalGzipBytes} bytes gzipped passes the budget of ${BUDGET_GZIP_BYTES}`);
  process.exit(1);
}
