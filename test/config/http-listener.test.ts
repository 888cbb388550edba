// The `protocol: http` listener's config (docs/http.md): its defaults, the commented-out entry of
// config/warden.yaml (which must load as written once uncommented), and its errors.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, parseConfig } from '../../server/config/index.js';
import { configErrorOf } from './errors-of.js';

const issuesOf = (input: unknown) => configErrorOf(() => parseConfig(input, { env: {} })).issues;

const HTTP_DEFAULTS = {
  name: 'http',
  protocol: 'http',
  host: '127.0.0.1',
  port: 8803,
  options: {
    maxMessageBytes: 1_048_576,
    maxBufferedBytes: 67_108_864,
    logonTimeoutMs: 10_000,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 5_000,
  },
  vhostFromUserName: false,
};

/** The commented-out `- name: http` entry of config/warden.yaml, uncommented. */
function embeddedExample(): unknown {
  const lines = readFileSync(DEFAULT_CONFIG_PATH, 'utf8').split('\n');
  const start = lines.indexOf('  # - name: http');
  expect(start).toBeGreaterThan(0);
  const entry: string[] = [];
  for (let i = start; i < lines.length && lines[i]!.startsWith('  # '); i++) entry.push(lines[i]!.slice(4));
  return parse(entry.join('\n'));
}

describe('the http listener config', () => {
  it('has a default for every key', () => {
    expect(parseConfig({ listeners: [{ protocol: 'http' }] }).listeners).toEqual([HTTP_DEFAULTS]);
  });

  it('config/warden.yaml carries it commented out, spelling out the defaults', () => {
    expect(parseConfig({ listeners: embeddedExample() }).listeners).toEqual([HTTP_DEFAULTS]);
  });

  it('takes tls and its own modules like the other listeners', () => {
    const config = parseConfig({
      tls: { profiles: { main: { certificate: 'c.pem', privateKey: 'k.pem' } } },
      listeners: [{ protocol: 'http', tls: { profile: 'main' }, authentication: { module: 'jwt', options: {} } }],
    });
    expect(config.listeners[0]).toMatchObject({
      tls: { profile: 'main', requireClientCertificate: false },
      authentication: { module: 'jwt' },
    });
  });

  it.each([
    [
      { maxMessageBytes: 1_048_576, maxBufferedBytes: 1_048_576 },
      'listeners[0].options.maxBufferedBytes',
      'expected at least 3 x maxMessageBytes + 65536 (3211264), so one largest request fits, got 1048576',
    ],
    [
      { headersTimeoutMs: 20_000, requestTimeoutMs: 10_000 },
      'listeners[0].options.requestTimeoutMs',
      'expected at least headersTimeoutMs (the request timeout includes the headers), got 10000',
    ],
    [
      { maxMessageBytes: 10 },
      'listeners[0].options.maxMessageBytes',
      'expected an integer from 256 to 67108864, got 10',
    ],
    [
      { path: '/x' },
      'listeners[0].options.path',
      'unknown key (expected one of "maxMessageBytes", "maxBufferedBytes", "logonTimeoutMs", "headersTimeoutMs", "requestTimeoutMs", "keepAliveTimeoutMs")',
    ],
  ])('refuses options %j, naming the key', (options, path, message) => {
    expect(issuesOf({ listeners: [{ protocol: 'http', options }] })).toEqual([{ path, message }]);
  });

  it('refuses a transport or path, and a host:port another listener has', () => {
    expect(issuesOf({ listeners: [{ protocol: 'http', path: '/x' }] })[0]!.path).toBe('listeners[0].path');
    expect(issuesOf({ listeners: [{ protocol: 'http', transport: 'ws' }] })[0]!.path).toBe('listeners[0].transport');
    expect(issuesOf({ listeners: [{ port: 9000 }, { protocol: 'http', port: 9000 }] })).toEqual([
      {
        path: 'listeners[1]',
        message: 'expected a host:port no other listener has (listeners[0] has the same), got "127.0.0.1:9000"',
      },
    ]);
  });
});
