// bench:peers divides each broker's deliveries by its write syscalls (/proc/PID/io `syscw`):
// the counter it reads must move by one per write(2), and say "unknown" rather than 0 where it
// cannot read it.
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSyscallsOf } from '../../bench/mqtt-load/brokers.js';

describe('writeSyscallsOf', () => {
  it.runIf(process.platform === 'linux')("counts this process's write syscalls, one per write(2)", () => {
    const path = join(tmpdir(), `warden-syscw-${process.pid}`);
    const fd = openSync(path, 'w');
    try {
      const before = writeSyscallsOf(process.pid);
      expect(before).not.toBeNull();
      for (let i = 0; i < 200; i++) writeSync(fd, 'x');
      const after = writeSyscallsOf(process.pid)!;
      // Other threads of this process (the test runner's) may write too, but never fewer.
      expect(after - before!).toBeGreaterThanOrEqual(200);
      expect(after - before!).toBeLessThan(400);
    } finally {
      closeSync(fd);
      unlinkSync(path);
    }
  });

  it('is null for a process it cannot read', () => {
    // Above Linux's largest pid_max (2^22): no such process.
    expect(writeSyscallsOf(2 ** 22 + 12345)).toBeNull();
  });
});
