// `cluster`: several Warden processes acting as one broker over a shared Redis (docs/cluster.md).
// Absent, nothing changes and no Redis is needed. The password comes from ${env:} or ${file:}
// (substitution runs before validation); TLS to Redis names a profile in tls.profiles, whose
// certificate and key are this broker's outbound identity and whose ca checks Redis's.
import { hostname } from 'node:os';
import { z } from 'zod';
import { booleanField, integerField, stringField } from './fields.js';

const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const NODE_ID_FORM = 'a node id of 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit';
const REDIS_URL = /^rediss?:\/\/[^\s]+$/;

/** The node id a node has when the config gives none: unique per process on one host, not stable across restarts. */
export function defaultNodeId(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '') || 'node';
  return `${host.slice(0, 50)}-${process.pid}`;
}

const redisSchema = z.strictObject({
  /** `redis://host:port/db` or `rediss://` (TLS). A password belongs in `password`, not here. */
  url: stringField(REDIS_URL, 2048, 'a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379'),
  /** Redis 6 ACL user; default: the URL's, or Redis's `default`. */
  username: z.string({ error: 'expected a user name' }).min(1).max(256).optional(),
  /** Use ${env:REDIS_PASSWORD} or ${file:/run/secrets/redis}: it is never logged. */
  password: z.string({ error: 'expected a password' }).min(1).max(4096).optional(),
  /** TLS to Redis; also implied by a rediss:// URL. */
  tls: z
    .strictObject({
      /** A profile in tls.profiles: its certificate and key are the client identity, its ca checks Redis's certificate. */
      profile: stringField(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 64, 'the name of a profile in tls.profiles').optional(),
      /** The name Redis's certificate must carry; default: the URL's host. */
      servername: stringField(/^\S+$/, 253, 'a host name').optional(),
    })
    .optional(),
  /** How long a connection attempt may take, and how long start-up waits for Redis. */
  connectTimeoutMs: integerField(100, 120_000).default(10_000),
});

export const clusterSchema = z.strictObject({
  /** This node's name in the cluster: give each node a stable one, so a restarted node takes its sessions back. */
  nodeId: stringField(NODE_ID, 64, NODE_ID_FORM).optional(),
  redis: redisSchema,
  /** Every key and channel starts with `{namespace}:`, so clusters can share one Redis. */
  namespace: stringField(/^[A-Za-z0-9._-]+$/, 64, 'letters, digits, ".", "_" or "-"').default('warden'),
  /** A node that stops renewing its lease this long is dead: its connection counts are released, its routes dropped. */
  leaseMs: integerField(1000, 300_000).default(10_000),
  /** How long a cluster-wide admin action waits for every live node to answer. */
  requestTimeoutMs: integerField(100, 120_000).default(5000),
  /** Log each node joining and leaving at info (warn for a lost lease either way). */
  logMembership: booleanField().default(true),
});

export type ClusterConfig = z.output<typeof clusterSchema>;

/** Whole-document check: cluster.redis.tls.profile names a profile that exists. */
export function checkClusterTls(
  config: { cluster?: ClusterConfig | undefined; tls: { profiles: Record<string, unknown> } },
  ctx: z.RefinementCtx,
): void {
  const profile = config.cluster?.redis.tls?.profile;
  if (profile === undefined || Object.hasOwn(config.tls.profiles, profile)) return;
  const names = Object.keys(config.tls.profiles);
  ctx.addIssue({
    code: 'custom',
    path: ['cluster', 'redis', 'tls', 'profile'],
    input: profile,
    message: `expected the name of a profile in tls.profiles (${
      names.length === 0 ? 'tls.profiles defines none' : names.map((n) => JSON.stringify(n)).join(', ')
    })`,
  });
}
