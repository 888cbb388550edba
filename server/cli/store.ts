// `warden store <check | compact | export | import>`: the operator's tools for the broker's store
// (docs/persistence.md), run while no broker has it open. Every way the store cannot be opened
// (missing, damaged, foreign, of another format, in use by a broker) is a StoreError: exit 4,
// with its message, which names the path and what to do.
import { parseArgs } from 'node:util';
import { compactLmdbStore } from '../store/lmdb-compact.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { checkStore } from '../store/store-check.js';
import { StoreError } from '../store/store-error.js';
import { CliError, usageError } from './cli-error.js';
import { EXIT } from './exit-codes.js';
import { STORE_COMMAND_HELP, STORE_HELP } from './help.js';
import { requireStore, resolveStoreDir } from './store-location.js';
import { describeCounts, listed, MAX_LISTED_PROBLEMS } from './store-report.js';
import { exportStore, importStore } from './store-transfer.js';

const SUBCOMMANDS = ['check', 'compact', 'export', 'import'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

function isSubcommand(name: string): name is Subcommand {
  return (SUBCOMMANDS as readonly string[]).includes(name);
}

/** The options only some commands take. */
const OWN_OPTIONS: Readonly<Record<string, Subcommand>> = { out: 'export', in: 'import', replace: 'import' };

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string', short: 'c' },
        path: { type: 'string' },
        out: { type: 'string', short: 'o' },
        in: { type: 'string', short: 'i' },
        replace: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw usageError(`${(err as Error).message} (see warden store --help)`);
  }
}

export async function runStore(argv: readonly string[]): Promise<number> {
  const args = parse(argv);
  const [name, ...extra] = args.positionals;
  if (name !== undefined && !isSubcommand(name))
    throw usageError(`unknown store command ${JSON.stringify(name)}; one of: ${SUBCOMMANDS.join(', ')}`);
  if (args.values.help) {
    process.stdout.write(name === undefined ? STORE_HELP : STORE_COMMAND_HELP[name]);
    return EXIT.OK;
  }
  if (name === undefined)
    throw usageError(`which command? One of: ${SUBCOMMANDS.join(', ')} (see warden store --help)`);
  if (extra.length > 0) throw usageError(`unexpected argument ${JSON.stringify(extra[0])} after ${name}`);
  for (const [option, owner] of Object.entries(OWN_OPTIONS))
    if (args.values[option as keyof typeof args.values] !== undefined && owner !== name)
      throw usageError(`--${option} only goes with ${owner}, not ${name}`);

  const dir = resolveStoreDir({ path: args.values.path, config: args.values.config }, process.env);
  try {
    switch (name) {
      case 'check':
        return await check(dir);
      case 'compact':
        return await compact(dir);
      case 'export':
        return await exportStore(dir, args.values.out);
      case 'import':
        return await importStore(dir, args.values.in, args.values.replace === true);
    }
  } catch (err) {
    if (err instanceof StoreError) throw new CliError(err.message, EXIT.STORE);
    throw err;
  }
}

async function check(dir: string): Promise<number> {
  const facts = requireStore(dir);
  const store = LmdbStore.open({ path: dir, sync: 'none' }, null, null);
  let result;
  try {
    result = checkStore(store, MAX_LISTED_PROBLEMS);
  } finally {
    await store.close();
  }
  const { counts, problemCount } = result;
  process.stdout.write(
    [
      `store     ${dir}`,
      `data.mdb  ${facts.bytes} bytes`,
      `retained  ${counts.retained}`,
      `sessions  ${counts.sessions}`,
      `messages  ${counts.messages}`,
      `wills     ${counts.wills}`,
      `problems  ${problemCount === 0 ? 'none' : problemCount}`,
      '',
    ].join('\n') + listed(result.problems, problemCount),
  );
  if (problemCount === 0) return EXIT.OK;
  process.stderr.write(`warden store check: ${problemCount} problem${problemCount === 1 ? '' : 's'} in ${dir}\n`);
  return EXIT.FAILURE;
}

async function compact(dir: string): Promise<number> {
  requireStore(dir);
  const { before, after, counts } = await compactLmdbStore(dir);
  process.stdout.write(`compacted ${dir}: data.mdb ${before} -> ${after} bytes (${describeCounts(counts)})\n`);
  return EXIT.OK;
}
