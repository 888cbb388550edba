// The Authorization header `warden admin` sends, built from environment variables only: a
// password or token given as an argument would be visible to every local user through ps.
import { usageError } from './cli-error.js';

export const ADMIN_USER_ENV = 'WARDEN_ADMIN_USER';
export const ADMIN_PASSWORD_ENV = 'WARDEN_ADMIN_PASSWORD';
export const ADMIN_TOKEN_ENV = 'WARDEN_ADMIN_TOKEN';

export interface CredentialFlags {
  /** The user name itself (not a secret). */
  readonly userName?: string | undefined;
  /** Name of the variable holding the password. */
  readonly passwordEnv?: string | undefined;
  /** Name of the variable holding the token. */
  readonly tokenEnv?: string | undefined;
}

function set(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** The `Authorization` header value; throws a usage CliError naming what is missing or contradictory. */
export function adminAuthorization(flags: CredentialFlags, env: NodeJS.ProcessEnv): string {
  return credentialKind(flags, env) === 'token' ? bearer(flags, env) : basic(flags, env);
}

/** Flags decide; without them, whichever of the password and the token is set (both is ambiguous). */
function credentialKind(flags: CredentialFlags, env: NodeJS.ProcessEnv): 'password' | 'token' {
  if (flags.passwordEnv !== undefined && flags.tokenEnv !== undefined)
    throw usageError('give --password-env or --token-env, not both');
  if (flags.tokenEnv !== undefined) return 'token';
  if (flags.passwordEnv !== undefined) return 'password';
  const hasPassword = set(env, ADMIN_PASSWORD_ENV) !== undefined;
  const hasToken = set(env, ADMIN_TOKEN_ENV) !== undefined;
  if (hasPassword && hasToken) {
    throw usageError(
      `both ${ADMIN_PASSWORD_ENV} and ${ADMIN_TOKEN_ENV} are set: unset one, or choose with --password-env or --token-env`,
    );
  }
  if (hasToken) return 'token';
  if (hasPassword || flags.userName !== undefined) return 'password';
  throw usageError(
    `no admin credentials: set ${ADMIN_USER_ENV} and ${ADMIN_PASSWORD_ENV}, or ${ADMIN_TOKEN_ENV} (see warden admin --help)`,
  );
}

function bearer(flags: CredentialFlags, env: NodeJS.ProcessEnv): string {
  if (flags.userName !== undefined) throw usageError('--user-name goes with a password; a token names its own user');
  const variable = flags.tokenEnv ?? ADMIN_TOKEN_ENV;
  const token = set(env, variable);
  if (token === undefined)
    throw usageError(`environment variable ${variable} (named by --token-env) is not set or empty`);
  if (/\s/.test(token)) throw usageError(`the token in ${variable} contains white space`);
  return `Bearer ${token}`;
}

function basic(flags: CredentialFlags, env: NodeJS.ProcessEnv): string {
  const user = flags.userName ?? set(env, ADMIN_USER_ENV);
  if (user === undefined || user === '')
    throw usageError(`no admin user name: set ${ADMIN_USER_ENV} or pass --user-name`);
  // HTTP Basic joins name and password with ":", so a name cannot contain one (RFC 7617).
  if (user.includes(':')) throw usageError('the admin user name cannot contain ":" (HTTP Basic authentication)');
  const variable = flags.passwordEnv ?? ADMIN_PASSWORD_ENV;
  const password = set(env, variable);
  if (password === undefined) {
    throw usageError(
      `environment variable ${variable}${flags.passwordEnv === undefined ? '' : ' (named by --password-env)'} is not set or empty`,
    );
  }
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}
