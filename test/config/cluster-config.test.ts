// The `cluster` section: absent by default, its defaults when present, a password from the
// environment, and errors that name the key and the expected form.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../server/config/index.js';
import { redactedRedisUrl, redisOptions } from '../../server/cluster/redis-connection.js';
import { configErrorOf } from './errors-of.js';

const issuesOf = (input: unknown) => configErrorOf(() => parseConfig(input, { env: {} })).issues;

describe('cluster config', () => {
  it('is absent unless configured: one process, no Redis', () => {
    expect(parseConfig({}, { env: {} }).cluster).toBeUndefined();
  });

  it('fills in its defaults and takes the password from ${env:}', () => {
    const config = parseConfig(
      { cluster: { nodeId: 'n1', redis: { url: 'redis://10.0.0.5:6380/2', password: '${env:REDIS_PW}' } } },
      { env: { REDIS_PW: 's3cret' } },
    );
    expect(config.cluster).toEqual({
      nodeId: 'n1',
      redis: { url: 'redis://10.0.0.5:6380/2', password: 's3cret', connectTimeoutMs: 10_000 },
      namespace: 'warden',
      leaseMs: 10_000,
      requestTimeoutMs: 5000,
      logMembership: true,
    });
    const options = redisOptions(config.cluster!.redis, null);
    expect(options).toMatchObject({
      host: '10.0.0.5',
      port: 6380,
      db: 2,
      password: 's3cret',
      enableOfflineQueue: false,
    });
    expect(options.tls).toBeUndefined();
  });

  it('speaks TLS for rediss:// and checks the server certificate', () => {
    const config = parseConfig({ cluster: { redis: { url: 'rediss://redis.internal:6379' } } }, { env: {} });
    expect(redisOptions(config.cluster!.redis, null).tls).toMatchObject({
      servername: 'redis.internal',
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    });
  });

  it('names the key and the expected form when it is wrong', () => {
    expect(issuesOf({ cluster: { redis: { url: 'http://x' } } })).toEqual([
      {
        path: 'cluster.redis.url',
        message: 'expected a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379, got "http://x"',
      },
    ]);
    expect(issuesOf({ cluster: { redis: { url: 'redis://x' }, nodeId: 'a b' } })[0]!.path).toBe('cluster.nodeId');
    expect(issuesOf({ cluster: { redis: { url: 'redis://x' }, leaseMs: 10 } })).toEqual([
      { path: 'cluster.leaseMs', message: 'expected an integer from 1000 to 300000, got 10' },
    ]);
    expect(issuesOf({ cluster: {} })[0]!.path).toBe('cluster.redis');
    expect(issuesOf({ cluster: { redis: { url: 'redis://x', tls: { profile: 'nope' } } } })).toEqual([
      {
        path: 'cluster.redis.tls.profile',
        message: 'expected the name of a profile in tls.profiles (tls.profiles defines none), got "nope"',
      },
    ]);
  });

  it('never shows a password in a URL it logs', () => {
    expect(redactedRedisUrl('redis://user:hunter2@host:6379/0')).toBe('redis://user:***@host:6379/0');
    expect(redactedRedisUrl('redis://host:6379')).toBe('redis://host:6379');
  });
});
