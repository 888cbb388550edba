// Locates the installed package, so the embedded default config can be found whether this code
// runs compiled (dist/server/config/) or from source under vitest (server/config/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_NAME = 'warden-broker';

/** The nearest directory at or above `fromUrl` whose package.json is named `packageName`. */
export function findPackageRoot(fromUrl: string, packageName: string = PACKAGE_NAME): string {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    if (packageNameIn(dir) === packageName) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ${packageName} package root above ${fileURLToPath(fromUrl)}`);
    dir = parent;
  }
}

function packageNameIn(dir: string): string | undefined {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  try {
    const manifest: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof manifest === 'object' && manifest !== null && 'name' in manifest && typeof manifest.name === 'string'
      ? manifest.name
      : undefined;
  } catch {
    return undefined; // an unreadable or malformed package.json is not ours; keep walking
  }
}
