// `npm run certs:dev [-- DIR]`: development certificates for config/examples/tls.yaml, written to
// config/examples/certs/ (git-ignored) unless a directory is given. Never use them in production:
// the CA key sits beside them.
import { join, relative, resolve } from 'node:path';
import { findPackageRoot } from '../server/config/package-root.js';
import { generateDevCertificates } from './lib/dev-certificates.js';

async function main(argv: readonly string[]): Promise<number> {
  if (argv.length > 1 || argv[0] === '--help' || argv[0] === '-h') {
    process.stderr.write('usage: npm run certs:dev [-- DIR]   (default DIR: config/examples/certs)\n');
    return argv[0] === '--help' || argv[0] === '-h' ? 0 : 2;
  }
  const root = findPackageRoot(import.meta.url);
  const dir = argv[0] === undefined ? join(root, 'config', 'examples', 'certs') : resolve(argv[0]);
  const files = await generateDevCertificates(dir);
  const shown = (path: string): string => relative(process.cwd(), path) || path;
  process.stdout.write(`development certificates written to ${shown(dir)}:\n`);
  for (const [what, path] of Object.entries(files))
    if (what !== 'dir') process.stdout.write(`  ${what.padEnd(24)} ${shown(path)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`certs:dev: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
