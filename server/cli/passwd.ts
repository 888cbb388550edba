// `warden passwd [--scram]`: hash a password read from stdin and print it as YAML lines for the
// config. The password never appears in arguments, output or errors.
import { parseArgs } from 'node:util';
import { hashPassword, scramCredentials } from '../security/authentication/password-hash.js';
import { CliError, usageError } from './cli-error.js';
import { EXIT } from './exit-codes.js';
import { PASSWD_HELP } from './help.js';
import { readPassword } from './read-password.js';

export async function runPasswd(argv: readonly string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      options: { scram: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw usageError(`${(err as Error).message} (see warden passwd --help)`);
  }
  if (args.values.help) {
    process.stdout.write(PASSWD_HELP);
    return EXIT.OK;
  }
  // Not echoed: it may well be the password itself.
  if (args.positionals.length > 0)
    throw usageError('the password goes on stdin, not on the command line, where other users can see it with ps');

  const password = await readPassword(process.stdin, process.stderr);
  if (password === '') throw new CliError('empty password: nothing to hash');
  // JSON strings are valid YAML double-quoted scalars, so the lines paste as they are.
  let lines: string;
  try {
    lines = `hash: ${JSON.stringify(await hashPassword(password))}\n`;
    if (args.values.scram) lines += `scram: ${JSON.stringify(scramCredentials(password))}\n`;
  } catch (err) {
    throw new CliError(`cannot hash the password: ${(err as Error).message}`);
  }
  process.stdout.write(lines);
  return EXIT.OK;
}
