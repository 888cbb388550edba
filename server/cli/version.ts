// The package version, from the package.json found by name (works from dist/ and from source).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPackageRoot } from '../config/package-root.js';

export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(findPackageRoot(import.meta.url), 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}
