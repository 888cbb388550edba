// Per-test scratch directories under the OS temp dir, with a shortcut for writing files into them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

export interface TempDir {
  readonly path: string;
  /** Writes `text` to `name` inside the directory and returns the file's full path. */
  write(name: string, text: string): string;
}

/** A fresh directory the caller removes (`rmSync(dir.path, …)`); prefer useTempDirs for automatic removal. */
export function makeTempDir(prefix = 'warden-test-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    write(name, text) {
      const file = join(path, name);
      writeFileSync(file, text);
      return file;
    },
  };
}

/** Call at the top of a test file: `const temp = useTempDirs();` then `temp()` inside a test; removed after each test. */
export function useTempDirs(): () => TempDir {
  const created: string[] = [];
  afterEach(() => {
    for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = makeTempDir();
    created.push(dir.path);
    return dir;
  };
}
