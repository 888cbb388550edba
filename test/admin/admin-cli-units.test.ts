// The pure parts of `warden admin` and `warden passwd`: which credentials, which URL, which line.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../server/config/index.js';
import { adminAuthorization } from '../../server/cli/admin-authorization.js';
import { adminUrlFromConfig, endpointUrl, parseAdminUrl } from '../../server/cli/admin-target.js';
import { CliError } from '../../server/cli/cli-error.js';
import { readFirstLine } from '../../server/cli/read-password.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

describe('adminAuthorization', () => {
  it('builds Basic from WARDEN_ADMIN_USER and WARDEN_ADMIN_PASSWORD', () => {
    expect(adminAuthorization({}, { WARDEN_ADMIN_USER: 'ops', WARDEN_ADMIN_PASSWORD: 'pä:ss' })).toBe(
      `Basic ${b64('ops:pä:ss')}`,
    );
  });

  it('builds Bearer from WARDEN_ADMIN_TOKEN, ignoring a user name variable', () => {
    expect(adminAuthorization({}, { WARDEN_ADMIN_TOKEN: 'abc.def', WARDEN_ADMIN_USER: 'ops' })).toBe('Bearer abc.def');
  });

  it('lets flags name other variables and the user', () => {
    expect(adminAuthorization({ userName: 'root', passwordEnv: 'PW' }, { PW: 'x', WARDEN_ADMIN_TOKEN: 't' })).toBe(
      `Basic ${b64('root:x')}`,
    );
    expect(adminAuthorization({ tokenEnv: 'TK' }, { TK: 't1', WARDEN_ADMIN_PASSWORD: 'p' })).toBe('Bearer t1');
  });

  it.each([
    [{}, {}, /no admin credentials/],
    [{}, { WARDEN_ADMIN_USER: 'ops', WARDEN_ADMIN_PASSWORD: '' }, /no admin credentials/],
    [{}, { WARDEN_ADMIN_PASSWORD: 'p', WARDEN_ADMIN_TOKEN: 't' }, /both/],
    [{ passwordEnv: 'A', tokenEnv: 'B' }, { A: 'a', B: 'b' }, /not both/],
    [{ userName: 'ops' }, {}, /WARDEN_ADMIN_PASSWORD is not set/],
    [{ userName: 'ops' }, { WARDEN_ADMIN_TOKEN: 't' }, /--user-name goes with a password/],
    [{ userName: 'a:b' }, { WARDEN_ADMIN_PASSWORD: 'p' }, /cannot contain ":"/],
    [{ passwordEnv: 'PW' }, { WARDEN_ADMIN_USER: 'ops' }, /PW \(named by --password-env\) is not set/],
    [{}, { WARDEN_ADMIN_TOKEN: 'has space' }, /white space/],
  ])('refuses %j with %j as a usage error', (flags, env, message) => {
    let thrown: unknown;
    try {
      adminAuthorization(flags, env);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CliError);
    expect(thrown).toMatchObject({ exitCode: 2, message: expect.stringMatching(message) });
  });

  it('never puts a secret in its error messages', () => {
    expect(() => adminAuthorization({}, { WARDEN_ADMIN_PASSWORD: 'S3CRET', WARDEN_ADMIN_TOKEN: 'T0KEN' })).toThrow(
      /^(?!.*(S3CRET|T0KEN))/,
    );
  });
});

describe('admin URL', () => {
  const at = (host: string, port: number) => adminUrlFromConfig({ enabled: true, host, port }, 'warden.yaml');

  it('comes from the config admin section, reaching wildcard binds through loopback', () => {
    expect(at('10.1.2.3', 9000)).toBe('http://10.1.2.3:9000');
    expect(at('0.0.0.0', 8801)).toBe('http://127.0.0.1:8801');
    expect(at('::', 8801)).toBe('http://[::1]:8801');
    expect(at('fe80::1', 1)).toBe('http://[fe80::1]:1');
  });

  it('defaults to http://127.0.0.1:8801, as the default config says', () => {
    expect(adminUrlFromConfig(defaultConfig().admin, 'default')).toBe('http://127.0.0.1:8801');
  });

  it('refuses a disabled admin listener or an ephemeral port', () => {
    expect(() => adminUrlFromConfig({ enabled: false, host: '127.0.0.1', port: 8801 }, 'w.yaml')).toThrow(
      /disabled in w\.yaml \(admin\.enabled: false\)/,
    );
    expect(() => at('127.0.0.1', 0)).toThrow(/admin\.port is 0 in warden\.yaml/);
  });

  it('appends endpoint paths, keeping a proxy prefix', () => {
    expect(endpointUrl(parseAdminUrl('http://h:1'), '/admin/entitlements').href).toBe('http://h:1/admin/entitlements');
    expect(endpointUrl(parseAdminUrl('https://h/warden/'), '/admin/entitlements/reset').href).toBe(
      'https://h/warden/admin/entitlements/reset',
    );
  });

  it.each([
    ['not a url', /is not a URL/],
    ['ws://h:1', /http: or https:/],
    ['http://u:p@h:1', /must not contain credentials/],
    ['http://h:1/?x=1', /query or fragment/],
  ])('refuses --url %s', (text, message) => {
    expect(() => parseAdminUrl(text)).toThrow(message);
  });
});

describe('readFirstLine', () => {
  it('reads up to the first newline across chunks and stops', async () => {
    expect(await readFirstLine(Readable.from([Buffer.from('ab'), Buffer.from('c\r\nrest\n')]))).toBe('abc');
  });

  it('takes everything when there is no newline', async () => {
    expect(await readFirstLine(Readable.from([Buffer.from('no newline')]))).toBe('no newline');
  });

  it('refuses invalid UTF-8 and an empty stream', async () => {
    await expect(readFirstLine(Readable.from([Buffer.from([0xff, 0x0a])]))).rejects.toThrow(/not valid UTF-8/);
    await expect(readFirstLine(Readable.from([]))).rejects.toThrow(/no password on stdin/);
  });
});
