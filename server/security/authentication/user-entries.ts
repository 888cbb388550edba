// The user list of the `users` module, as written in its options or in its users file:
// `{ name, hash, scram?, group?, hosts? }`, and its compilation into lookup records.
//
// Credentials are checked after the structural zod parse, by hand, so that a malformed `hash` or
// `scram` value is reported as `<secret>`: zod puts the input in its issues, and the generic
// option parser does not know that `scram` is a secret.
import { z } from 'zod';
import type { ConfigIssue } from '../../config/config-error.js';
import { formatKeyPath, type KeyPath } from '../../config/key-path.js';
import { HOST_PATTERN_FORM, hostPatternProblem, parseHostPattern, type HostPattern } from './host-access.js';
import { parsePasswordHash, PASSWORD_HASH_FORM, type ParsedPasswordHash } from './password-hash.js';
import { parseScramCredentials, SCRAM_CREDENTIALS_FORM, type ScramCredentials } from './scram-credentials.js';

/** The protocol allows user names of 1 to 256 characters. */
const MAX_NAME_CHARS = 256;

export const hostEntrySchema = z
  .string({ error: `expected a host entry: ${HOST_PATTERN_FORM}` })
  .superRefine((entry, ctx) => {
    const problem = hostPatternProblem(entry);
    if (problem !== undefined)
      ctx.addIssue({ code: 'custom', message: `expected a host entry: ${HOST_PATTERN_FORM} (${problem})` });
  });

export const hostListSchema = z.array(hostEntrySchema, { error: 'expected a list of host entries' });

export const userEntrySchema = z.strictObject({
  name: z
    .string({ error: `expected a user name of 1 to ${MAX_NAME_CHARS} characters` })
    .min(1, { error: `expected a user name of 1 to ${MAX_NAME_CHARS} characters` })
    .max(MAX_NAME_CHARS, { error: `expected a user name of 1 to ${MAX_NAME_CHARS} characters` }),
  hash: z.string({ error: `expected ${PASSWORD_HASH_FORM}` }),
  scram: z.string({ error: `expected ${SCRAM_CREDENTIALS_FORM}` }).optional(),
  group: z.string({ error: 'expected a group name' }).min(1, { error: 'expected a group name' }).optional(),
  hosts: hostListSchema.optional(),
});

export const userListSchema = z.array(userEntrySchema, {
  error: 'expected a list of users ({ name, hash, scram?, group?, hosts? })',
});

export type UserEntry = z.output<typeof userEntrySchema>;

/** A user ready for logons. */
export interface UserRecord {
  readonly name: string;
  readonly hash: ParsedPasswordHash;
  /** Absent: the user cannot log on with SCRAM-SHA-256. */
  readonly scram: ScramCredentials | undefined;
  readonly group: string | undefined;
  /** Absent: the module's default hosts apply (and without those, any host). */
  readonly hosts: readonly HostPattern[] | undefined;
}

/** Where an entry came from, for error paths: `users[2]` in the options, `[2]` in a users file. */
export interface LocatedUserEntry {
  readonly entry: UserEntry;
  readonly path: KeyPath;
}

export interface CompiledUsers {
  readonly records: readonly UserRecord[];
  readonly issues: readonly ConfigIssue[];
}

/** Records for `entries`, or issues (bad credentials, duplicate names) located with `describePath`. */
export function compileUserEntries(
  entries: readonly LocatedUserEntry[],
  describePath: (path: KeyPath) => string,
): CompiledUsers {
  const issues: ConfigIssue[] = [];
  const records: UserRecord[] = [];
  const firstByName = new Map<string, KeyPath>();
  for (const { entry, path } of entries) {
    const hash = parsePasswordHash(entry.hash);
    if (hash === undefined)
      issues.push({ path: describePath([...path, 'hash']), message: `expected ${PASSWORD_HASH_FORM}, got <secret>` });
    const scram = entry.scram === undefined ? undefined : parseScramCredentials(entry.scram);
    if (entry.scram !== undefined && scram === undefined) {
      issues.push({
        path: describePath([...path, 'scram']),
        message: `expected ${SCRAM_CREDENTIALS_FORM}, got <secret>`,
      });
    }
    const earlier = firstByName.get(entry.name);
    if (earlier !== undefined) {
      issues.push({
        path: describePath([...path, 'name']),
        message: `expected a name no other user has (${formatKeyPath(earlier)} has the same), got ${JSON.stringify(entry.name)}`,
      });
    } else firstByName.set(entry.name, path);
    if (hash !== undefined) {
      records.push({ name: entry.name, hash, scram, group: entry.group, hosts: entry.hosts?.map(parseHostPattern) });
    }
  }
  return { records, issues };
}
