// Where the audit log goes: `stdout`, the broker's own log stream, each line marked `audit: true`
// (one stream for a container's log collector); or a file of its own, appended, created with its
// directory if missing, JSON lines with no other log in between.
import { resolve } from 'node:path';
import { pino, destination, type Logger } from 'pino';
import type { AuditConfig } from '../config/index.js';
import { pinLevel } from '../log-levels.js';

export interface AuditDestination {
  readonly logger: Logger;
  /** Write out what is buffered and close the file (nothing for stdout, which the broker's log owns). */
  close(): Promise<void>;
}

export function auditDestination(config: AuditConfig, log: Logger): AuditDestination {
  // Written whatever log.level filters out of the broker's log, except `silent`: a broker told
  // to write nothing to its stream writes nothing there.
  if (config.destination === 'stdout') {
    const logger = log.child({ audit: true }, { level: auditLevel(log.level) });
    // A live reload of log.level keeps this rule (server/log-levels.ts).
    pinLevel(logger, auditLevel);
    return { logger, close: () => Promise.resolve() };
  }
  const path = resolve(config.destination);
  const file = destination({ dest: path, mkdir: true, append: true, sync: false });
  // A file that cannot be opened or written (permissions, a full disk) is logged, never thrown.
  let reported = false;
  file.on('error', (err: Error) => {
    if (reported) return;
    reported = true;
    log.error({ err, path }, 'the audit log file cannot be written (audit.destination): audit lines are lost');
  });
  return {
    logger: pino({ level: 'info', base: { pid: process.pid }, name: 'warden-audit' }, file),
    close: () =>
      new Promise((done) => {
        file.once('close', () => done());
        // Opening may still be under way: end() waits for it, then writes the buffer and closes.
        file.end();
      }),
  };
}

function auditLevel(level: string): 'silent' | 'info' {
  return level === 'silent' ? 'silent' : 'info';
}
