// `warden store check`'s look at the records, in-process on real LMDB files in temp directories:
// a healthy store has no problems; records of the wrong shape, under the wrong key, that do not
// decode, and messages without their session are each named; the list is bounded, the count is not.
import { join } from 'node:path';
import { open } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { LmdbStore } from '../../server/store/lmdb-store.js';
import type { QueuedRecord, RetainedRecord, SessionRecord, SubscriptionRecord } from '../../server/store/records.js';
import { checkStore } from '../../server/store/store-check.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { queuedMessage } from '../helpers/store-records.js';

const temp = useTempDirs();

const retained = (topic: string): RetainedRecord => ({ topic, payload: Buffer.from(topic), qos: 1, properties: null });
const session = (clientId: string): SessionRecord => ({
  clientId,
  user: 'alice',
  listener: 'mqtt',
  expirySec: 600,
  expiresAt: null,
  incomingQos2: [],
});
const subscription = (clientId: string, filter: string): SubscriptionRecord => ({
  clientId,
  filter,
  qos: 1,
  noLocal: false,
  retainAsPublished: false,
  subscriptionId: null,
});
const message = (clientId: string, seq: number): QueuedRecord => queuedMessage(clientId, seq);

/** A store in a new directory, filled by `fill`, closed (so flushed) before the check opens it again. */
async function storeWith(fill: (store: LmdbStore) => void, dir = temp().path): Promise<string> {
  const store = LmdbStore.open({ path: dir, sync: 'always' }, null, null);
  fill(store);
  await store.close();
  return dir;
}

/** Write around LmdbStore, as a bug or a bad disk might: `put` gets the tables by name. */
async function tamper(
  dir: string,
  put: (table: (name: string) => ReturnType<typeof openTable>) => void,
): Promise<void> {
  const env = open({ path: dir, noSubdir: false, maxDbs: 8, encoder: { copyBuffers: true } });
  put((name) => openTable(env, name));
  await env.close();
}
function openTable(env: ReturnType<typeof open>, name: string, binary = false) {
  return env.openDB(name, binary ? { encoding: 'binary' } : {});
}

async function check(dir: string, limit = 20) {
  const store = LmdbStore.open({ path: dir, sync: 'none' }, null, null);
  try {
    return checkStore(store, limit);
  } finally {
    await store.close();
  }
}

describe('checkStore', () => {
  it('finds nothing wrong with the records LmdbStore writes, and counts them', async () => {
    const dir = await storeWith((s) => {
      s.putRetained(retained('r/a'));
      s.putRetained(retained('r/b'));
      s.putSession(session('keeper'));
      s.putSubscription(subscription('keeper', 'q/#'));
      s.putMessage(message('keeper', 1));
      s.putMessage(message('keeper', 2));
      // Ids longer than an LMDB key are stored under a digest: still their own key.
      s.putSession(session('k'.repeat(3000)));
      s.putMessage(message('k'.repeat(3000), 3));
      s.putSubscription(subscription('k'.repeat(3000), 'f/'.repeat(600)));
    });
    expect(await check(dir)).toEqual({
      counts: { retained: 2, sessions: 2, subscriptions: 2, messages: 3, wills: 0 },
      problemCount: 0,
      problems: [],
    });
  });

  it('names each damaged record, and each subscription or message whose session is missing', async () => {
    const dir = await storeWith((s) => {
      s.putRetained(retained('r/ok'));
      s.putSession(session('keeper'));
      s.putMessage(message('keeper', 1));
      s.putMessage(message('gone', 2));
      s.putSubscription(subscription('gone', 'g/#'));
    });
    await tamper(dir, (table) => {
      table('retained').putSync('r/shape', { topic: 'r/shape', payload: 'text', qos: 1, properties: null });
      table('retained').putSync('r/elsewhere', retained('r/other'));
      table('sessions').putSync('odd', { ...session('odd'), expirySec: -1 });
    });
    const env = open({ path: dir, noSubdir: false, maxDbs: 8 });
    openTable(env, 'wills', true).putSync('raw', Buffer.from([0xc1, 0xc1]));
    await env.close();

    const result = await check(dir);
    expect(result.counts).toEqual({ retained: 3, sessions: 2, subscriptions: 1, messages: 2, wills: 1 });
    expect(result.problems).toEqual([
      'retained "r/elsewhere": stored under a key its record does not give it (the broker could not remove it)',
      'retained "r/shape": payload: expected bytes',
      expect.stringMatching(/^session "odd": expirySec: /),
      expect.stringMatching(/^subscription .*"gone".*: an orphan: there is no session for its client/),
      'message "gone" #2: an orphan: there is no session for its client (the broker drops it at start-up)',
      expect.stringMatching(/^will "raw": /),
    ]);
    expect(result.problemCount).toBe(6);
  });

  it('names a table this version does not write', async () => {
    const dir = await storeWith((s) => s.putRetained(retained('r/a')));
    await tamper(dir, (table) => table('extra').putSync('k', 1));
    expect((await check(dir)).problems).toEqual(['table "extra": not a table this version of Warden writes']);
  });

  it('lists at most `limit` problems but counts them all', async () => {
    const dir = await storeWith((s) => {
      for (let i = 0; i < 30; i++) s.putMessage(message(`orphan-${String(i).padStart(2, '0')}`, i));
    });
    const result = await check(dir, 5);
    expect(result.problemCount).toBe(30);
    expect(result.problems).toHaveLength(5);
    expect(result.problems[0]).toMatch(/^message "orphan-00" #0: an orphan/);
  });

  it('opens a store whose directory name has an extension as a directory', async () => {
    const dir = join(temp().path, 'data.v2');
    await storeWith((s) => s.putRetained(retained('r/a')), dir);
    expect((await check(dir)).counts.retained).toBe(1);
  });
});
