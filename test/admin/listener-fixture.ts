// Starts an AdminListener on an ephemeral 127.0.0.1 port over RecordingAdminActions, keeping
// every log line (at debug) so tests can check what is logged and what never is.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { AdminListener } from '../../server/admin/admin-listener.js';
import { RecordingAdminActions } from './recording-admin-actions.js';

export interface ListenerFixture {
  readonly url: string;
  readonly actions: RecordingAdminActions;
  readonly listener: AdminListener;
  /** Every log line written so far, raw JSON text. */
  readonly logLines: string[];
  close(): Promise<void>;
}

export async function startAdminListener(): Promise<ListenerFixture> {
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((line) => line !== ''),
      );
      done();
    },
  });
  const actions = new RecordingAdminActions();
  const listener = new AdminListener({ host: '127.0.0.1', port: 0 }, actions, pino({ level: 'debug' }, sink));
  const { url } = await listener.listen();
  return { url, actions, listener, logLines, close: () => listener.close() };
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
