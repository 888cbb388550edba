// Per-test scratch directories under the OS temp dir, removed after each test.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

export interface TempDir {
  readonly path: string;
  /** Writes `text` to `name` inside the directory and returns the file's full path. */
  write(name: string, text: string): string;
}

/** Call at the top of a test file: `const tempDir = useTempDirs();` then `tempDir()` inside a test. */
export function useTempDirs(): () => TempDir {
  const created: string[] = [];
  afterEach(() => {
    for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const path = mkdtempSync(join(tmpdir(), 'warden-entitlement-'));
    created.push(path);
    return {
      path,
      write(name, text) {
        const file = join(path, name);
        writeFileSync(file, text);
        return file;
      },
    };
  };
}
