// The uWebSockets.js loader: it answers the native addon only when that is what loaded, and a
// reason otherwise (the package itself would quietly hand back its slow JS emulation).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { binaryNameFor, loadUws, UWS_PACKAGE, type UwsLoadContext } from '../../server/transports/uws/load-uws.js';

const realRequire = createRequire(import.meta.url);
const here = (): UwsLoadContext => ({
  require: realRequire,
  env: {},
  binaryName: binaryNameFor(process.platform, process.arch, process.versions.modules),
});

/** A require whose `UWS_PACKAGE` is something else; resolution and the module cache stay Node's. */
function requireGiving(load: () => unknown, resolve: NodeJS.RequireResolve = realRequire.resolve): NodeJS.Require {
  const fake = (id: string): unknown => (id === UWS_PACKAGE ? load() : realRequire(id));
  return Object.assign(fake, {
    resolve,
    cache: realRequire.cache,
    main: realRequire.main,
    extensions: realRequire.extensions,
  }) as NodeJS.Require;
}

describe('loadUws', () => {
  it('loads the native addon shipped in the package for this Node.js (linux x64, ABI 115 under Node 20)', () => {
    const loaded = loadUws();
    expect(loaded.reason).toBeNull();
    expect(loaded.uws).not.toBeNull();
    // Native functions stringify as native code; the emulation's are JavaScript.
    expect(String(loaded.uws!.App)).toMatch(/\[native code\]/);
    expect(
      realRequire.cache[
        realRequire.resolve(join(dirname(realRequire.resolve(UWS_PACKAGE)), '..', 'binaries', here().binaryName))
      ],
    ).toBeDefined();
  });

  it('refuses the package when it hands back its JS emulation', () => {
    const emulation = join(dirname(realRequire.resolve(UWS_PACKAGE)), '..', 'dist', 'index.js');
    const loaded = loadUws({ ...here(), require: requireGiving(() => realRequire(emulation)) });
    expect(loaded).toEqual({
      uws: null,
      reason: `${UWS_PACKAGE} loaded its JS emulation instead of the native ${here().binaryName}`,
    });
  });

  it('does not load the package where no binary fits (it would fall back with a console warning)', () => {
    let loads = 0;
    const loaded = loadUws({ ...here(), binaryName: 'uws_linux_x64_999.node', require: requireGiving(() => loads++) });
    expect(loaded).toEqual({
      uws: null,
      reason: `${UWS_PACKAGE} has no prebuilt uws_linux_x64_999.node for this platform and Node.js ABI`,
    });
    expect(loads).toBe(0);
  });

  it('does not load the package when UWS_USE_FALLBACK asks for the emulation', () => {
    let loads = 0;
    const loaded = loadUws({ ...here(), env: { UWS_USE_FALLBACK: 'true' }, require: requireGiving(() => loads++) });
    expect(loaded).toEqual({ uws: null, reason: `UWS_USE_FALLBACK=true makes ${UWS_PACKAGE} use its JS emulation` });
    expect(loads).toBe(0);
    // Values the package ignores are ignored here too.
    expect(loadUws({ ...here(), env: { UWS_USE_FALLBACK: 'no' } }).reason).toBeNull();
  });

  it('reports a package that is not installed, or that throws while loading', () => {
    const missing = Object.assign(
      () => {
        throw new Error(`Cannot find module '${UWS_PACKAGE}'`);
      },
      { paths: () => null },
    ) as unknown as NodeJS.RequireResolve;
    expect(loadUws({ ...here(), require: requireGiving(() => 0, missing) })).toEqual({
      uws: null,
      reason: `${UWS_PACKAGE} is not installed`,
    });
    const throwing = requireGiving(() => {
      throw new Error('invalid ELF header');
    });
    expect(loadUws({ ...here(), require: throwing })).toEqual({
      uws: null,
      reason: `${UWS_PACKAGE} failed to load: invalid ELF header`,
    });
  });
});
