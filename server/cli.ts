#!/usr/bin/env node
// `warden`: the package's bin. Dispatches to a command in cli/ (serve when the first argument is
// not a command name) and turns a CliError into a message on stderr and its exit status.
import { CliError } from './cli/cli-error.js';
import { EXIT } from './cli/exit-codes.js';

/** A `warden` subcommand: its arguments (after the command name) in, an exit status out; it fails by throwing a CliError. */
type Command = (argv: readonly string[]) => Promise<number>;

// Loaded on demand, so `warden admin` does not load the broker and `warden` does not load the admin client.
const COMMANDS: ReadonlyMap<string, () => Promise<Command>> = new Map([
  ['passwd', async () => (await import('./cli/passwd.js')).runPasswd],
  ['admin', async () => (await import('./cli/admin.js')).runAdmin],
  ['store', async () => (await import('./cli/store.js')).runStore],
]);

async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  const load = first === undefined ? undefined : COMMANDS.get(first);
  if (load !== undefined) return (await load())(rest);
  if (first !== undefined && !first.startsWith('-')) {
    throw new CliError(
      `unknown command ${JSON.stringify(first)}; the commands are ${[...COMMANDS.keys()].join(', ')} (see warden --help)`,
      EXIT.USAGE,
    );
  }
  return (await import('./cli/serve.js')).runServe(argv);
}

const argv = process.argv.slice(2);
const command = argv[0] !== undefined && COMMANDS.has(argv[0]) ? `warden ${argv[0]}` : 'warden';
main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${command}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof CliError ? err.exitCode : EXIT.FAILURE;
  },
);
