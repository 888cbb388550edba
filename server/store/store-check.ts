// `warden store check`'s look at every record of an open LMDB store: each entry decodes, has a
// record's shape (record-schema.ts), and sits under the key its record gives it; each queued
// message has its session; the environment holds no table this version does not know. What it
// finds is a list of sentences, one per problem.
import { recordKeyOf, type LmdbStore, type StoreKey } from './lmdb-store.js';
import { parseStoredRecord } from './record-schema.js';
import { RECORD_TABLES } from './records.js';
import type { StoreCounts } from './store.js';
import { entryName } from './store-export.js';

const KNOWN_TABLES: readonly string[] = ['meta', ...RECORD_TABLES];

export interface StoreCheck {
  /** Entries per table, damaged ones included. */
  readonly counts: StoreCounts;
  /** How many problems were found (more than `problems` lists when it was cut short). */
  readonly problemCount: number;
  /** The first `limit` problems, in the store's order. */
  readonly problems: readonly string[];
}

export function checkStore(store: LmdbStore, limit: number): StoreCheck {
  const counts = { retained: 0, sessions: 0, subscriptions: 0, messages: 0, wills: 0 };
  const problems: string[] = [];
  let problemCount = 0;
  const report = (problem: string): void => {
    problemCount++;
    if (problems.length < limit) problems.push(problem);
  };

  for (const name of store.tableNames())
    if (!KNOWN_TABLES.includes(name))
      report(`table ${JSON.stringify(name)}: not a table this version of Warden writes`);

  /** The client ids of the sessions, by their key: a damaged session record still has its key. */
  const sessionKeys = new Set<string>();
  for (const table of RECORD_TABLES) {
    for (const entry of store.entries(table)) {
      counts[table]++;
      const name = entryName(table, entry.key);
      if (table === 'sessions') sessionKeys.add(entry.key as string);
      if (entry.error !== null) {
        report(`${name}: cannot be decoded (${entry.error})`);
        continue;
      }
      const parsed = parseStoredRecord(table, entry.value);
      if (!parsed.ok) {
        report(`${name}: ${parsed.problem}`);
        continue;
      }
      if (!sameKey(entry.key, recordKeyOf(table, parsed.record))) {
        report(`${name}: stored under a key its record does not give it (the broker could not remove it)`);
        continue;
      }
      if (
        (table === 'messages' || table === 'subscriptions') &&
        !sessionKeys.has((entry.key as (string | number)[])[0] as string)
      )
        report(`${name}: an orphan: there is no session for its client (the broker drops it at start-up)`);
    }
  }
  return { counts, problemCount, problems };
}

function sameKey(a: StoreKey, b: StoreKey): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.length === b.length && a.every((part, i) => part === b[i]);
}
