// `users`: a fixed user list with salted scrypt password hashes (the user list, host access lists
// and password-check-only of SwiftMQ's Authentication Swiftlet). Anonymous logons are refused: no
// empty names, no missing passwords, no implicit logon. Passwords arrive in the logon (`password`)
// or are proven without being sent (`SCRAM-SHA-256`, see users-scram.ts).
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '../../config/config-error.js';
import { booleanField, integerField } from '../../config/fields.js';
import { formatKeyPath, type KeyPath } from '../../config/key-path.js';
import { parseModuleOptions } from '../module-options.js';
import type { AuthAnswer, AuthenticationModule, LogonRequest, ModuleContext } from '../module-types.js';
import {
  createDnsHostNameResolver,
  isHostAllowed,
  parseHostPattern,
  type HostNameResolver,
  type HostPattern,
} from './host-access.js';
import {
  DEFAULT_SCRYPT_PARAMS,
  hashPassword,
  parsePasswordHash,
  verifyParsedPassword,
  type ParsedPasswordHash,
} from './password-hash.js';
import { MIN_SCRAM_ITERATIONS } from './scram-credentials.js';
import { randomServerNonce } from './scram-exchange.js';
import { compileUserEntries, hostListSchema, userListSchema, type UserRecord } from './user-entries.js';
import { loadUsersFile } from './users-file.js';
import { scramLogon } from './users-scram.js';

export interface UsersAuthenticationModule extends AuthenticationModule {
  /** True when host lists are not enforced (option `passwordCheckOnly`). */
  readonly passwordCheckOnly: boolean;
  /** The configured group of `user`, for entitlement modules that grant by group; undefined for unknown users or users without one. */
  groupOf(user: string): string | undefined;
}

/** What tests replace; production uses the defaults. */
export interface UsersModuleDependencies {
  /** Host names of a client address, for `host.example.com` / `*.example.com` host entries. Default: reverse DNS with forward confirmation. */
  readonly resolveHostNames?: HostNameResolver;
  /** The server's part of the SCRAM nonce. Default: 18 random bytes in base64. */
  readonly serverNonce?: () => string;
  /** Checks a password against a parsed hash. Default: scrypt (verifyParsedPassword); tests wrap it to see which hash was checked. */
  readonly verifyPassword?: (password: string, hash: ParsedPasswordHash) => Promise<boolean>;
}

const usersOptionsSchema = z
  .strictObject({
    users: userListSchema.optional(),
    /** Relative to the config file's directory. */
    usersFile: z.string({ error: 'expected a file path' }).min(1, { error: 'expected a file path' }).optional(),
    passwordCheckOnly: booleanField().default(false),
    /** For users without their own `hosts`; absent: any host. */
    defaultHosts: hostListSchema.optional(),
    dnsTimeoutMs: integerField(1, 30_000).default(2000),
  })
  .superRefine((options, ctx) => {
    if (options.users === undefined && options.usersFile === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'expected `users` (a list), `usersFile` (a path), or both' });
    }
  });

const SCRAM_MECHANISM = 'SCRAM-SHA-256';

/** A factory for the `users` module with some dependencies replaced (tests). */
export function makeUsersAuthenticationFactory(dependencies: UsersModuleDependencies = {}) {
  return async (
    options: Readonly<Record<string, unknown>>,
    context: ModuleContext,
  ): Promise<UsersAuthenticationModule> => {
    const parsed = parseModuleOptions(usersOptionsSchema, options, context);
    // The paths named here all start with a key (`users`, `usersFile`), so a "." always fits.
    const optionPath = (path: KeyPath) => `${context.configPath}.options.${formatKeyPath(path)}`;

    const inline = compileUserEntries(
      (parsed.users ?? []).map((entry, index) => ({ entry, path: ['users', index] })),
      optionPath,
    );
    if (inline.issues.length > 0) throw new ConfigError(inline.issues);
    const fromFile =
      parsed.usersFile === undefined
        ? undefined
        : await loadUsersFile(parsed.usersFile, context.baseDir, optionPath(['usersFile']));

    const users = new Map<string, UserRecord>(inline.records.map((record) => [record.name, record]));
    for (const record of fromFile?.records ?? []) {
      if (users.has(record.name)) {
        throw new ConfigError([
          {
            path: optionPath(['usersFile']),
            message: `expected a file whose users are not also in \`users\`, but both define ${JSON.stringify(record.name)}`,
          },
        ]);
      }
      users.set(record.name, record);
    }

    const defaultHosts = parsed.defaultHosts?.map(parseHostPattern);
    const records = [...users.values()];
    context.log.info(
      { users: users.size, usersFile: fromFile?.path, passwordCheckOnly: parsed.passwordCheckOnly },
      'users authentication module loaded',
    );
    if (users.size === 0) context.log.warn('users authentication module has no users: every logon will fail');
    if (
      parsed.passwordCheckOnly &&
      (defaultHosts !== undefined || records.some((record) => record.hosts !== undefined))
    ) {
      context.log.warn('passwordCheckOnly is true: host lists are configured but not enforced');
    }

    return createUsersModule({
      users,
      defaultHosts,
      passwordCheckOnly: parsed.passwordCheckOnly,
      // Unknown users are checked against this, so they take as long as known ones.
      dummyHash: await dummyHashLike(records[0]?.hash),
      resolveHostNames: dependencies.resolveHostNames ?? createDnsHostNameResolver({ timeoutMs: parsed.dnsTimeoutMs }),
      serverNonce: dependencies.serverNonce ?? randomServerNonce,
      verifyPassword: dependencies.verifyPassword ?? verifyParsedPassword,
      decoySecret: randomBytes(32),
      decoyIterations: records.find((record) => record.scram !== undefined)?.scram?.iterations ?? MIN_SCRAM_ITERATIONS,
    });
  };
}

/** The `users` module factory. */
export const createUsersAuthentication = makeUsersAuthenticationFactory();

interface UsersModuleSetup {
  readonly users: ReadonlyMap<string, UserRecord>;
  readonly defaultHosts: readonly HostPattern[] | undefined;
  readonly passwordCheckOnly: boolean;
  readonly dummyHash: ParsedPasswordHash;
  readonly resolveHostNames: HostNameResolver;
  readonly serverNonce: () => string;
  readonly verifyPassword: (password: string, hash: ParsedPasswordHash) => Promise<boolean>;
  readonly decoySecret: Buffer;
  readonly decoyIterations: number;
}

function createUsersModule(setup: UsersModuleSetup): UsersAuthenticationModule {
  const { users, passwordCheckOnly } = setup;

  /** The last check of every successful proof of password: where the client connects from. */
  const hostCheck = async (user: UserRecord, remoteAddress: string): Promise<AuthAnswer | undefined> => {
    if (passwordCheckOnly) return undefined;
    const hosts = user.hosts ?? setup.defaultHosts;
    if (hosts === undefined || (await isHostAllowed(hosts, remoteAddress, setup.resolveHostNames))) return undefined;
    return reject(
      `user ${JSON.stringify(user.name)} may not connect from ${remoteAddress || 'an unknown address'} (host access list)`,
    );
  };

  const passwordLogon = async (request: LogonRequest): Promise<AuthAnswer> => {
    if (request.user === '') return reject('anonymous logon refused: empty user name');
    if (request.password === undefined || request.password === '')
      return reject(`anonymous logon refused: no password for user ${JSON.stringify(request.user)}`);
    const user = users.get(request.user);
    const matches = await setup.verifyPassword(request.password, user?.hash ?? setup.dummyHash);
    if (user === undefined) return reject(`unknown user ${JSON.stringify(request.user)}`);
    if (!matches) return reject(`wrong password for user ${JSON.stringify(user.name)}`);
    // Hosts come after the password, so strangers cannot make the broker do DNS lookups.
    return (await hostCheck(user, request.remoteAddress)) ?? { outcome: 'accept', identity: user.name };
  };

  return {
    name: 'users',
    allowsImplicitLogon: false,
    passwordCheckOnly,
    groupOf: (user) => users.get(user)?.group,
    authenticate(request) {
      switch (request.mechanism) {
        case 'password':
          return passwordLogon(request);
        case SCRAM_MECHANISM:
          return scramLogon(request, { ...setup, hostCheck });
        case 'implicit':
          return reject('anonymous logon refused: the users module never allows an implicit logon');
        default:
          return reject(
            `users module does not support mechanism ${JSON.stringify(String(request.mechanism).slice(0, 64))}`,
          );
      }
    },
  };
}

/** A hash of a random password with the same cost as the users' hashes. */
async function dummyHashLike(model: ParsedPasswordHash | undefined): Promise<ParsedPasswordHash> {
  const encoded = await hashPassword(randomBytes(16).toString('base64'), model?.params ?? DEFAULT_SCRYPT_PARAMS);
  const parsed = parsePasswordHash(encoded);
  if (parsed === undefined) throw new Error('internal error: a fresh password hash does not parse');
  return parsed;
}

function reject(reason: string): AuthAnswer {
  return { outcome: 'reject', reason };
}
