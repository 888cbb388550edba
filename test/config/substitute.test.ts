import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig } from '../../server/config/index.js';
import { substitute } from '../../server/config/substitute.js';
import { configErrorOf } from './errors-of.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const temp = useTempDirs();
const SECRET = 'hunter2-do-not-print';

describe('${env:NAME}', () => {
  it('replaces the placeholder, also inside longer strings and lists', () => {
    const config = parseConfig(
      { broker: { name: 'warden-${env:REGION}-${env:ZONE}' }, listeners: [{ host: '${env:HOST}' }] },
      { env: { REGION: 'eu', ZONE: '1', HOST: '0.0.0.0' } },
    );
    expect(config.broker.name).toBe('warden-eu-1');
    expect(config.listeners[0].host).toBe('0.0.0.0');
  });

  it('coerces clean integer strings for numeric keys', () => {
    const config = parseConfig(
      { listeners: [{ port: '${env:PORT}', options: { maxFrameBytes: '${env:FRAME}' } }] },
      { env: { PORT: '9001', FRAME: '4096' } },
    );
    expect(config.listeners[0].port).toBe(9001);
    expect(config.listeners[0].options).toMatchObject({ maxFrameBytes: 4096 });
  });

  it.each([' 9001', '9001 ', '9e3', '0x10', '', '9001.0'])('does not coerce the unclean integer string %j', (port) => {
    const [issue] = configErrorOf(() =>
      parseConfig({ listeners: [{ port: '${env:PORT}' }] }, { env: { PORT: port } }),
    ).issues;
    expect(issue).toEqual({
      path: 'listeners[0].port',
      message: 'expected an integer from 0 to 65535, got "${env:PORT}" (the substituted value is not shown)',
    });
  });

  it('a missing variable names the key path and the variable', () => {
    const error = configErrorOf(() => parseConfig({ listeners: [{ port: '${env:WARDEN_PORT}' }] }, { env: {} }));
    expect(error.issues).toEqual([
      {
        path: 'listeners[0].port',
        message: 'environment variable WARDEN_PORT is not set (used by ${env:WARDEN_PORT})',
      },
    ]);
  });

  it('an empty variable is a value, not a missing one', () => {
    const [issue] = configErrorOf(() => parseConfig({ broker: { name: '${env:NAME}' } }, { env: { NAME: '' } })).issues;
    expect(issue.message).toMatch(/^expected a name .*, got "\$\{env:NAME\}" \(the substituted value is not shown\)$/);
  });

  it('uses process.env by default', () => {
    process.env.WARDEN_TEST_BROKER_NAME = 'from-process-env';
    try {
      expect(parseConfig({ broker: { name: '${env:WARDEN_TEST_BROKER_NAME}' } }).broker.name).toBe('from-process-env');
    } finally {
      delete process.env.WARDEN_TEST_BROKER_NAME;
    }
  });
});

describe('${file:PATH}', () => {
  it('reads a file relative to the config file, stripping one trailing newline', () => {
    const dir = temp();
    dir.write('name.txt', 'from-file\n\n');
    dir.write('host.txt', 'localhost\n');
    const file = dir.write(
      'warden.yaml',
      'broker:\n  name: ${file:name.txt}\nlisteners:\n  - host: ${file:./host.txt}\n',
    );
    // Two newlines in name.txt: only one is stripped, so the name keeps one and fails validation.
    expect(configErrorOf(() => loadConfigFile(file, {})).issues).toEqual([
      {
        path: 'broker.name',
        message: expect.stringMatching(
          /^expected a name .*, got "\$\{file:name.txt\}" \(the substituted value is not shown\)$/,
        ),
      },
    ]);
    dir.write('name.txt', 'from-file\r\n');
    const config = loadConfigFile(file, {});
    expect(config.broker.name).toBe('from-file');
    expect(config.listeners[0].host).toBe('localhost');
  });

  it('reads an absolute path, and a file with no trailing newline as is', () => {
    const secretFile = temp().write('secret', 'warden-b');
    expect(parseConfig({ broker: { name: `\${file:${secretFile}}` } }, { env: {} }).broker.name).toBe('warden-b');
  });

  it('resolves relative paths against source.dir', () => {
    const dir = temp();
    dir.write('name', 'dir-name\n');
    expect(parseConfig({ broker: { name: '${file:name}' } }, { dir: dir.path, env: {} }).broker.name).toBe('dir-name');
  });

  it('an unreadable file names the key path and the path, never the contents', () => {
    const dir = temp();
    const error = configErrorOf(() =>
      parseConfig({ broker: { name: '${file:missing.txt}' } }, { dir: dir.path, env: {} }),
    );
    expect(error.issues).toEqual([
      {
        path: 'broker.name',
        message: `cannot read file "${dir.path}/missing.txt" (ENOENT) used by \${file:missing.txt}`,
      },
    ]);
    const isDirectory = configErrorOf(() => parseConfig({ broker: { name: `\${file:${dir.path}}` } }, { env: {} }));
    expect(isDirectory.issues[0].message).toContain('(EISDIR)');
  });
});

describe('secrets', () => {
  it('an invalid substituted value is not shown: the placeholder it came from is', () => {
    const dir = temp();
    dir.write('port', `${SECRET}\n`);
    const file = dir.write('warden.yaml', 'broker:\n  name: ${env:NAME}\nlisteners:\n  - port: ${file:port}\n');
    const error = configErrorOf(() => loadConfigFile(file, { NAME: `bad name ${SECRET}` }));
    expect(error.issues).toEqual([
      {
        path: 'broker.name',
        message: expect.stringMatching(/, got "\$\{env:NAME\}" \(the substituted value is not shown\)$/),
      },
      {
        path: 'listeners[0].port',
        message: 'expected an integer from 0 to 65535, got "${file:port}" (the substituted value is not shown)',
      },
    ]);
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain('hunter2');
  });

  it('a section replaced by a secret string is masked', () => {
    const error = configErrorOf(() => parseConfig({ broker: '${env:X}' }, { env: { X: SECRET } }));
    expect(error.issues).toEqual([
      {
        path: 'broker',
        message: 'expected a mapping (key: value), got "${env:X}" (the substituted value is not shown)',
      },
    ]);
  });

  it('a secret discriminator is masked', () => {
    const error = configErrorOf(() => parseConfig({ listeners: [{ protocol: '${env:X}' }] }, { env: { X: SECRET } }));
    expect(error.issues).toEqual([
      {
        path: 'listeners[0].protocol',
        message: 'expected one of "native", "mqtt", "http", got "${env:X}" (the substituted value is not shown)',
      },
    ]);
  });

  it('a duplicate address built from secrets is masked', () => {
    const error = configErrorOf(() =>
      parseConfig(
        {
          listeners: [
            { name: 'a', host: '${env:X}' },
            { name: 'b', host: '${env:X}' },
          ],
        },
        { env: { X: SECRET } },
      ),
    );
    expect(error.issues).toEqual([
      {
        path: 'listeners[1]',
        message: 'expected a host:port no other listener has (listeners[0] has the same), got <secret>',
      },
    ]);
    expect(error.message).not.toContain(SECRET);
  });

  it('a literal value next to a secret is still shown', () => {
    const error = configErrorOf(() =>
      parseConfig({ broker: { name: '${env:X}' }, log: { level: 'loud' } }, { env: { X: 'ok' } }),
    );
    expect(error.issues).toEqual([{ path: 'log.level', message: expect.stringMatching(/, got "loud"$/) }]);
  });
});

describe('placeholder syntax', () => {
  it('$${ is a literal ${ and is not substituted', () => {
    const { value, secretPaths, issues } = substitute(
      { a: 'x$${env:HOME}y', b: ['$${', '$$', 'pa$$word'] },
      { env: {}, dir: '/' },
    );
    expect(value).toEqual({ a: 'x${env:HOME}y', b: ['${', '$$', 'pa$$word'] });
    expect(secretPaths).toEqual([]);
    expect(issues).toEqual([]);
  });

  it('an escape next to a placeholder', () => {
    const { value, secretPaths } = substitute({ a: ['$${env:A}=${env:A}'] }, { env: { A: '1' }, dir: '/' });
    expect(value).toEqual({ a: ['${env:A}=1'] });
    expect(secretPaths).toEqual([['a', 0]]);
  });

  it('leaves non-strings alone', () => {
    const { value } = substitute({ a: 1, b: true, c: null, d: [2.5] }, { env: { A: 'x' }, dir: '/' });
    expect(value).toEqual({ a: 1, b: true, c: null, d: [2.5] });
  });

  it('refuses a placeholder in a key, naming the key, rather than taking it as literal text', () => {
    const error = configErrorOf(() =>
      parseConfig(
        {
          security: {
            authentication: {
              module: './m.mjs',
              options: { tokens: { '${env:SERVICE_TOKEN}': 'billing-service', plain: 'x' } },
            },
          },
        },
        { env: { SERVICE_TOKEN: SECRET } },
      ),
    );
    expect(error.issues).toEqual([
      {
        path: 'security.authentication.options.tokens["${env:SERVICE_TOKEN}"]',
        message:
          'placeholders are not substituted in keys: put the ${...} in a value (a list of entries, not a map keyed by the secret), or write $${ for a literal "${"',
      },
    ]);
    expect(error.message).not.toContain(SECRET);
  });

  it('$${ in a key is a literal ${, as in values', () => {
    const { value, issues } = substitute({ 'a$${b}': { 'x$${': 1 } }, { env: {}, dir: '/' });
    expect(issues).toEqual([]);
    expect(value).toEqual({ 'a${b}': { 'x${': 1 } });
  });

  it('does not substitute inside substituted text', () => {
    const { value } = substitute({ a: '${env:A}' }, { env: { A: '${env:B}', B: 'no' }, dir: '/' });
    expect(value).toEqual({ a: '${env:B}' });
  });

  it.each([
    ['${HOME}', 'unknown placeholder "${HOME}": expected ${env:NAME}, ${file:PATH}, or $${ for a literal "${"'],
    ['${env:}', 'unknown placeholder "${env:}": expected ${env:NAME}, ${file:PATH}, or $${ for a literal "${"'],
    ['${env:A-B}', 'unknown placeholder "${env:A-B}": expected ${env:NAME}, ${file:PATH}, or $${ for a literal "${"'],
    ['${file:}', 'unknown placeholder "${file:}": expected ${env:NAME}, ${file:PATH}, or $${ for a literal "${"'],
    ['x${env:A', 'unterminated "${": expected ${env:NAME}, ${file:PATH}, or $${ for a literal "${"'],
  ])('rejects %j', (text, message) => {
    const error = configErrorOf(() => parseConfig({ listeners: [{ host: text }] }, { env: { A: 'a' } }));
    expect(error.issues).toEqual([{ path: 'listeners[0].host', message }]);
  });
});
