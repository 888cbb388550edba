// Runs a config call expected to fail and returns its ConfigError for inspection.
import { expect } from 'vitest';
import { ConfigError } from '../../server/config/index.js';

export function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but the config was accepted');
}
