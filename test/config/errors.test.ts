import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig } from '../../server/config/index.js';
import { configErrorOf } from './errors-of.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const temp = useTempDirs();

const issuesOf = (input: unknown) => configErrorOf(() => parseConfig(input, { env: {} })).issues;

describe('validation errors', () => {
  it('a wrong type names the key path, the value and the expected form', () => {
    const error = configErrorOf(() => parseConfig({ listeners: [{ port: 'abc' }] }, { env: {} }));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ConfigError');
    expect(error.issues).toEqual([
      { path: 'listeners[0].port', message: 'expected an integer from 0 to 65535, got "abc"' },
    ]);
    expect(error.message).toBe(
      'invalid Warden configuration:\n  listeners[0].port: expected an integer from 0 to 65535, got "abc"',
    );
  });

  it('the regex budget (topics.regex) names its key and range', () => {
    expect(issuesOf({ topics: { regex: { maxMatchStateBytes: 100, maxSubscriptions: -1 } } })).toEqual([
      { path: 'topics.regex.maxSubscriptions', message: 'expected an integer from 0 to 10000000, got -1' },
      { path: 'topics.regex.maxMatchStateBytes', message: 'expected an integer from 4096 to 67108864, got 100' },
    ]);
  });

  it('a section of the wrong type', () => {
    expect(issuesOf({ broker: 'x' })).toEqual([
      { path: 'broker', message: 'expected a mapping (key: value), got "x"' },
    ]);
  });

  it('a document that is not a mapping', () => {
    expect(issuesOf([1])).toEqual([{ path: '(root)', message: 'expected a mapping (key: value), got [1]' }]);
  });

  it('an unknown key suggests the closest known one', () => {
    expect(issuesOf({ listners: [] })).toEqual([
      { path: 'listners', message: 'unknown key (did you mean "listeners"?)' },
    ]);
  });

  it('an unknown key with no close match lists the accepted keys, and nested unknown keys get their full path', () => {
    expect(issuesOf({ listeners: [{ options: { maxFrameByte: 1, colour: 'blue' } }] })).toEqual([
      { path: 'listeners[0].options.maxFrameByte', message: 'unknown key (did you mean "maxFrameBytes"?)' },
      {
        path: 'listeners[0].options.colour',
        message:
          'unknown key (expected one of "maxFrameBytes", "maxSendQueueBytes", "maxProtocolErrors", "logonTimeoutMs", "maxSubscriptionsPerConnection", "heartbeatIntervalMs")',
      },
    ]);
  });

  it('duplicate listener names name both entries', () => {
    expect(
      issuesOf({
        listeners: [
          { name: 'a', port: 1 },
          { name: 'b', port: 2 },
          { name: 'a', port: 3 },
        ],
      }),
    ).toEqual([
      {
        path: 'listeners[2].name',
        message: 'expected a name no other listener has (listeners[0] has the same), got "a"',
      },
    ]);
  });

  it('duplicate host:port pairs name both entries', () => {
    expect(
      issuesOf({
        listeners: [
          { name: 'a', port: 9000 },
          { name: 'b', host: '127.0.0.1', port: 9000 },
        ],
      }),
    ).toEqual([
      {
        path: 'listeners[1]',
        message: 'expected a host:port no other listener has (listeners[0] has the same), got "127.0.0.1:9000"',
      },
    ]);
  });

  it('a path that does not start with "/"', () => {
    expect(issuesOf({ listeners: [{ path: 'ws' }] })).toEqual([
      { path: 'listeners[0].path', message: 'expected a URL path starting with "/" (no spaces, "?" or "#"), got "ws"' },
    ]);
  });

  it.each([
    ['listeners[0].port', { listeners: [{ port: 65_536 }] }, 'expected an integer from 0 to 65535, got 65536'],
    ['listeners[0].port', { listeners: [{ port: -1 }] }, 'expected an integer from 0 to 65535, got -1'],
    ['listeners[0].port', { listeners: [{ port: 80.5 }] }, 'expected an integer from 0 to 65535, got 80.5'],
    [
      'listeners[0].options.maxFrameBytes',
      { listeners: [{ options: { maxFrameBytes: 255 } }] },
      'expected an integer from 256 to 67108864, got 255',
    ],
    ['topics.maxLevels', { topics: { maxLevels: 0 } }, 'expected an integer from 1 to 1024, got 0'],
    ['shutdown.graceMs', { shutdown: { graceMs: Infinity } }, 'expected an integer from 0 to 600000, got Infinity'],
  ])('an out-of-range or fractional number at %s', (path, input, message) => {
    expect(issuesOf(input)).toEqual([{ path, message }]);
  });

  it('a send queue smaller than one frame', () => {
    expect(issuesOf({ listeners: [{ options: { maxFrameBytes: 4096, maxSendQueueBytes: 2048 } }] })).toEqual([
      {
        path: 'listeners[0].options.maxSendQueueBytes',
        message: 'expected at least maxFrameBytes, so one maximum-size frame fits in the send queue, got 2048',
      },
    ]);
  });

  it('a persistent-session store smaller than one session', () => {
    expect(issuesOf({ mqtt: { sessions: { maxQueuedBytes: 4096, maxBytes: 2048 } } })).toEqual([
      {
        path: 'mqtt.sessions.maxBytes',
        message: 'expected at least maxQueuedBytes, so one full session fits in the store, got 2048',
      },
    ]);
    expect(issuesOf({ mqtt: { sessions: { maxSessionsPerUser: -1 } } })).toEqual([
      { path: 'mqtt.sessions.maxSessionsPerUser', message: 'expected an integer from 0 to 10000000, got -1' },
    ]);
  });

  it('an unknown log level lists the levels', () => {
    expect(issuesOf({ log: { level: 'loud' } })).toEqual([
      {
        path: 'log.level',
        message: 'expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"',
      },
    ]);
  });

  it('an unknown listener protocol', () => {
    expect(issuesOf({ listeners: [{ protocol: 'amqp' }] })).toEqual([
      { path: 'listeners[0].protocol', message: 'expected one of "native", "mqtt", "http", got "amqp"' },
    ]);
  });

  it("MQTT over WebSocket may share a native listener's host:port on another path, not on the same path", () => {
    expect(
      parseConfig({ listeners: [{ port: 9000 }, { protocol: 'mqtt', transport: 'websocket', port: 9000 }] }).listeners,
    ).toHaveLength(2);
    expect(
      issuesOf({
        listeners: [
          { port: 9000, path: '/mqtt' },
          { protocol: 'mqtt', transport: 'websocket', port: 9000 },
        ],
      }),
    ).toEqual([
      {
        path: 'listeners[1]',
        message: 'expected a host:port no other listener has (listeners[0] has the same), got "127.0.0.1:9000"',
      },
    ]);
    expect(issuesOf({ listeners: [{ port: 9000 }, { protocol: 'mqtt', port: 9000 }] })).toEqual([
      {
        path: 'listeners[1]',
        message: 'expected a host:port no other listener has (listeners[0] has the same), got "127.0.0.1:9000"',
      },
    ]);
    expect(issuesOf({ listeners: [{ protocol: 'mqtt', path: '/x' }] })[0]?.path).toBe('listeners[0].path');
  });

  it('no listeners at all', () => {
    expect(issuesOf({ listeners: [] })).toEqual([
      { path: 'listeners', message: 'expected at least one listener, got []' },
    ]);
  });

  it('a bad name', () => {
    expect(issuesOf({ broker: { name: 'my broker' } })).toEqual([
      {
        path: 'broker.name',
        message:
          'expected a name of 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit, got "my broker"',
      },
    ]);
  });

  it('long values are cut to about 80 characters', () => {
    const [issue] = issuesOf({ broker: { name: 'x'.repeat(200) } });
    const shown = issue.message.slice(issue.message.indexOf('got ') + 4);
    expect(shown).toBe(`"${'x'.repeat(78)}…`);
  });

  it('reports every issue, one line each', () => {
    const error = configErrorOf(() =>
      parseConfig({ log: { level: 1 }, shutdown: { graceMs: 'soon' }, extra: true }, { env: {} }),
    );
    expect(error.issues.map((issue) => issue.path)).toEqual(['log.level', 'shutdown.graceMs', 'extra']);
    expect(error.message.split('\n')).toHaveLength(1 + 3);
  });

  it('ConfigError issues are frozen', () => {
    const error = new ConfigError([{ path: 'a', message: 'b' }]);
    expect(Object.isFrozen(error.issues)).toBe(true);
    expect(Object.isFrozen(error.issues[0])).toBe(true);
  });
});

describe('file errors', () => {
  it('a YAML syntax error reports its line and column, and the file', () => {
    const file = temp().write('bad.yaml', 'broker:\n  name: x\nlisteners: [\n  { port: 1 }\nlog: info\n');
    const error = configErrorOf(() => loadConfigFile(file, {}));
    expect(error.source).toBe(file);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0].path).toBe('');
    expect(error.issues[0].message).toMatch(/^YAML syntax error at line 5, column \d+: /);
    expect(error.message).toContain(`invalid Warden configuration in ${file}:\n  YAML syntax error at line 5`);
  });

  it('a duplicate YAML key is a syntax error', () => {
    const file = temp().write('dup.yaml', 'log:\n  level: info\nlog:\n  level: debug\n');
    expect(configErrorOf(() => loadConfigFile(file, {})).issues[0].message).toMatch(
      /^YAML syntax error at line 3, column 1: Map keys must be unique/,
    );
  });

  it('validation errors from a file name the file', () => {
    const file = temp().write('warden.yaml', 'listeners:\n  - port: abc\n');
    const error = configErrorOf(() => loadConfigFile(file, {}));
    expect(error.message).toBe(
      `invalid Warden configuration in ${file}:\n  listeners[0].port: expected an integer from 0 to 65535, got "abc"`,
    );
  });

  it('a missing config file', () => {
    const file = `${temp().path}/absent.yaml`;
    expect(configErrorOf(() => loadConfigFile(file, {})).issues).toEqual([
      { path: '', message: `cannot read config file "${file}" (ENOENT)` },
    ]);
  });
});
