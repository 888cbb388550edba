// Structured logs with pino. The CLI logs to stdout; embedders can pass their own pino logger.
// `log.format`: JSON lines for machines (the default when stdout is not a terminal), or
// pino-pretty's coloured lines for people at a terminal.
import { isatty } from 'node:tty';
import { pino, destination, type Logger, type LevelWithSilent } from 'pino';
import { PinoPretty } from 'pino-pretty';

export type { Logger };

/** `auto`: pretty when the output is a terminal, JSON otherwise. */
export type LogFormat = 'auto' | 'json' | 'pretty';

export function createLogger(level: LevelWithSilent, name: string, fd: 1 | 2 = 1, format: LogFormat = 'json'): Logger {
  const options = { level, name, base: { pid: process.pid } };
  const terminal = isatty(fd);
  if (format === 'pretty' || (format === 'auto' && terminal)) {
    // Synchronous, so that a fatal line before exit is not lost.
    return pino(
      options,
      PinoPretty({ destination: fd, sync: true, colorize: terminal, translateTime: 'SYS:standard' }),
    );
  }
  return pino(options, destination({ dest: fd, sync: false }));
}
