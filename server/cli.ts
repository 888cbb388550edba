#!/usr/bin/env node
// `warden`: start the broker from a YAML config (--config PATH, else WARDEN_CONFIG, else the
// embedded default), log with pino, and shut down cleanly on SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile, resolveConfigPath } from './config/index.js';
import { createLogger } from './log.js';
import { startBroker } from './start-broker.js';

const HELP = `Usage: warden [options]

Start the Warden broker.

Options:
  -c, --config PATH   YAML config file (default: $WARDEN_CONFIG, else the embedded config/warden.yaml)
  -h, --help          show this help
  -v, --version       print the version

Signals: SIGINT or SIGTERM close the listeners, send close frames to clients and exit 0.
Documentation: README.md and docs/ in the package.
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    process.stderr.write(`warden: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (args.values.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }

  const path = resolveConfigPath(args.values.config, process.env);
  let config;
  try {
    config = loadConfigFile(path, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`warden: invalid configuration in ${path}:\n${err.message}\n`);
      return 1;
    }
    throw err;
  }

  const log = createLogger(config.log.level, config.broker.name);
  // Handlers go in before the listeners open, so a signal right after "listening" is not fatal.
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const broker = await startBroker(config, { logger: log });
  log.info({ config: path, version: version() }, 'warden started');
  log.info({ signal: await stopped }, 'shutting down');
  await broker.close();
  log.flush();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`warden: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
