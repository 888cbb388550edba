import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, resolveConfigPath } from '../../server/config/index.js';
import { findPackageRoot } from '../../server/config/package-root.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const temp = useTempDirs();

describe('resolveConfigPath', () => {
  it('prefers the --config argument', () => {
    expect(resolveConfigPath('/etc/warden/cli.yaml', { WARDEN_CONFIG: '/etc/warden/env.yaml' })).toBe(
      '/etc/warden/cli.yaml',
    );
  });

  it('then WARDEN_CONFIG', () => {
    expect(resolveConfigPath(undefined, { WARDEN_CONFIG: '/etc/warden/env.yaml' })).toBe('/etc/warden/env.yaml');
  });

  it('then the embedded default', () => {
    expect(resolveConfigPath(undefined, {})).toBe(DEFAULT_CONFIG_PATH);
  });

  it('treats empty values as absent', () => {
    expect(resolveConfigPath('', { WARDEN_CONFIG: '' })).toBe(DEFAULT_CONFIG_PATH);
    expect(resolveConfigPath('', { WARDEN_CONFIG: '/x.yaml' })).toBe('/x.yaml');
  });

  it('resolves relative paths against the working directory', () => {
    expect(resolveConfigPath('conf/w.yaml', {})).toBe(resolve(process.cwd(), 'conf/w.yaml'));
    expect(resolveConfigPath(undefined, { WARDEN_CONFIG: 'w.yaml' })).toBe(resolve(process.cwd(), 'w.yaml'));
  });
});

describe('DEFAULT_CONFIG_PATH', () => {
  it('is config/warden.yaml in the package root', () => {
    expect(isAbsolute(DEFAULT_CONFIG_PATH)).toBe(true);
    expect(DEFAULT_CONFIG_PATH).toBe(resolve(import.meta.dirname, '../../config/warden.yaml'));
    expect(existsSync(DEFAULT_CONFIG_PATH)).toBe(true);
  });

  it('the package root is found by walking up to the package.json named warden-broker', () => {
    const root = temp();
    root.write('package.json', JSON.stringify({ name: 'warden-broker' }));
    const elsewhere = temp();
    // A nearer package.json with another name is walked past.
    mkdirSync(`${root.path}/node_modules/other/dist`, { recursive: true });
    writeFileSync(`${root.path}/node_modules/other/package.json`, JSON.stringify({ name: 'other' }));
    expect(findPackageRoot(`file://${root.path}/node_modules/other/dist/load.js`)).toBe(root.path);
    expect(() => findPackageRoot(`file://${elsewhere.path}/x.js`)).toThrow(
      /cannot find the warden-broker package root/,
    );
  });
});
