// The console as the broker sets it up: its bundle from the package's dist/console, the sampler
// over the broker's counters, and the sessions' limits from admin.console.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AdminConfig } from '../config/index.js';
import { findPackageRoot } from '../config/package-root.js';
import { ConsoleAssets } from './console-assets.js';
import { ConsoleEndpoint } from './console-endpoint.js';
import { ConsoleSampler, type SampleSource } from './console-sampler.js';

/** Where `npm run build` writes the console, found from here whether running from dist or from source. */
export function consoleBuildDir(): string {
  return join(findPackageRoot(import.meta.url), 'dist', 'console');
}

export function createConsole(config: AdminConfig['console'], source: SampleSource, log: Logger): ConsoleEndpoint {
  const sampler = new ConsoleSampler(source, { intervalMs: config.sampleIntervalMs, historyMs: config.historyMs }, log);
  return new ConsoleEndpoint(config, new ConsoleAssets(consoleBuildDir()), sampler, log);
}
