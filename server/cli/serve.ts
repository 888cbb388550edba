// `warden [--config PATH]`: start the broker from a YAML config (--config, else WARDEN_CONFIG,
// else the embedded default), log with pino, reload the config file live on SIGHUP
// (docs/admin.md#live-reload), and shut down cleanly on SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { dirname } from 'node:path';
import { ConfigError, loadConfigFile, resolveConfigPath } from '../config/index.js';
import { createLogger } from '../log.js';
import { EXIT } from './exit-codes.js';
import { SERVE_HELP } from './help.js';
import { packageVersion } from './version.js';
import cluster from 'node:cluster';
import { availableParallelism, hostname } from 'node:os';
import { runPrimary, workerConfig, workerIndex, workersRefusal } from './workers.js';

/** `--workers N` (1 to 64) or `auto` (one per CPU); a message when it is neither. */
function workersOf(value: string | undefined): number | string {
  if (value === undefined) return 1;
  if (value === 'auto') return availableParallelism();
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 64)
    return `--workers expects a number from 1 to 64, or auto; got ${JSON.stringify(value)}`;
  return n;
}

export async function runServe(argv: readonly string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string', short: 'c' },
        workers: { type: 'string', short: 'w' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    process.stderr.write(`warden: ${(err as Error).message}\n\n${SERVE_HELP}`);
    return EXIT.USAGE;
  }
  if (args.values.help) {
    process.stdout.write(SERVE_HELP);
    return EXIT.OK;
  }
  if (args.values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return EXIT.OK;
  }

  const workers = workersOf(args.values.workers);
  if (typeof workers === 'string') {
    process.stderr.write(`warden: ${workers}\n`);
    return EXIT.USAGE;
  }
  const path = resolveConfigPath(args.values.config, process.env);
  let config;
  try {
    config = loadConfigFile(path, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      // The message has its own heading ("invalid Warden configuration in PATH:").
      process.stderr.write(`warden: ${err.message}\n`);
      return EXIT.FAILURE;
    }
    throw err;
  }

  const refusal = workersRefusal(config, workers);
  if (refusal !== null) {
    process.stderr.write(`warden: ${refusal}\n`);
    return EXIT.USAGE;
  }
  const log = createLogger(config.log.level, config.broker.name, 1, config.log.format);
  if (workers > 1 && !cluster.isWorker) return runPrimary(workers, log);
  const index = workerIndex(process.env);
  if (index !== null) config = workerConfig(config, index, hostname());
  // Handlers go in before the listeners open, so a signal right after "listening" is not fatal.
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  // Node's default for SIGHUP is to exit, so this goes in before the listeners open too.
  let reload: (() => Promise<void>) | null = null;
  const onHangup = (): void => {
    if (reload === null) log.warn({ signal: 'SIGHUP' }, 'the broker is still starting: nothing to reload yet');
    else void reload();
  };
  process.on('SIGHUP', onHangup);
  // Loaded here rather than at the top, so --help and --version do not load the whole broker.
  const { startBroker } = await import('../start-broker.js');
  const { StoreError } = await import('../store/store-error.js');
  const { ClusterConnectError } = await import('../cluster/redis-connection.js');
  // Relative module paths in the config resolve against the config file's directory.
  let broker;
  try {
    // A worker reads the same file and gives it its own node id again, as at start.
    const reloadFrom =
      index === null
        ? path
        : { file: path, load: () => workerConfig(loadConfigFile(path, process.env), index, hostname()) };
    broker = await startBroker(config, { logger: log, baseDir: dirname(path), reloadFrom });
  } catch (err) {
    if (err instanceof ClusterConnectError) {
      log.fatal(err.message);
      log.flush();
      process.stderr.write(`warden: ${err.message}\n`);
      return EXIT.CLUSTER;
    }
    // The store's message names its path and what to do; it is the whole story.
    if (!(err instanceof StoreError)) throw err;
    log.fatal({ path: config.persistence.path }, err.message);
    log.flush();
    process.stderr.write(`warden: ${err.message}\n`);
    return EXIT.STORE;
  }
  // The reload logs what it did, or why it did nothing; this only contains what it cannot say.
  reload = async () => {
    log.info({ signal: 'SIGHUP' }, 'reloading the config');
    try {
      await broker.reload({ signal: 'SIGHUP' });
    } catch (err) {
      log.error({ err }, 'config reload failed');
    }
  };
  log.info({ config: path, version: packageVersion() }, 'warden started');
  log.info({ signal: await stopped }, 'shutting down');
  process.off('SIGHUP', onHangup);
  await broker.close();
  log.flush();
  // A worker's channel to the primary would keep it running: closed, the worker exits.
  cluster.worker?.disconnect();
  return EXIT.OK;
}
