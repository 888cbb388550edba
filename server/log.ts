// Structured logs with pino. The CLI logs to stdout; embedders can pass their own pino logger.
import { pino, destination, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export function createLogger(level: LevelWithSilent, name: string, fd: 1 | 2 = 1): Logger {
  return pino({ level, name, base: { pid: process.pid } }, destination({ dest: fd, sync: false }));
}
