// log.level on a live reload: the broker's logger and every child made from it (pino copies the
// level into a child when it is made) take the new level; the audit log on stdout keeps its rule.
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { auditDestination } from '../../server/audit/audit-destination.js';
import { LogLevels } from '../../server/log-levels.js';

function logger(level: string): { log: Logger; messages: string[] } {
  const messages: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      messages.push((JSON.parse(chunk.toString()) as { msg: string }).msg);
      done();
    },
  });
  return { log: pino({ level }, sink), messages };
}

/** pino writes to a Writable synchronously: what was logged is in `messages` at once. */
describe('LogLevels', () => {
  it('sets the level of the root and of children and grandchildren made before the change', () => {
    const { log, messages } = logger('info');
    const levels = LogLevels.of(log);
    const child = log.child({ component: 'a' });
    const grandchild = child.child({ module: 'b' });
    grandchild.debug('hidden');
    levels.set('debug');
    expect(levels.level).toBe('debug');
    grandchild.debug('grandchild debug');
    child.debug('child debug');
    log.child({ later: true }).debug('later child debug');
    levels.set('warn');
    child.info('hidden too');
    child.warn('child warn');
    expect(messages).toEqual(['grandchild debug', 'child debug', 'later child debug', 'child warn']);
  });

  it('keeps the audit log on stdout at info whatever the level, and silent with silent', () => {
    const { log, messages } = logger('info');
    const levels = LogLevels.of(log);
    const audit = auditDestination(
      { enabled: true, destination: 'stdout', denialWindowMs: 0, maxTracked: 10 },
      log,
    ).logger;
    levels.set('error');
    audit.info('audit at error');
    levels.set('silent');
    audit.info('audit at silent');
    levels.set('debug');
    audit.info('audit at debug');
    expect(messages).toEqual(['audit at error', 'audit at debug']);
  });

  it('is one tracker per logger, however many brokers share it', () => {
    const { log } = logger('info');
    expect(LogLevels.of(log)).toBe(LogLevels.of(log));
  });
});
