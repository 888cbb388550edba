// Writes user module files (plain ESM, as an operator would) into a temp dir for a test.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ModuleDir {
  dir: string;
  write(name: string, source: string): string;
  remove(): void;
}

export function moduleDir(): ModuleDir {
  const dir = mkdtempSync(join(tmpdir(), 'warden-modules-'));
  return {
    dir,
    write(name, source) {
      const path = join(dir, name);
      writeFileSync(path, source);
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
