import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, defaultConfig, loadConfigFile, parseConfig } from '../../server/config/index.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const temp = useTempDirs();

const DEFAULT_LISTENER = {
  name: 'native',
  protocol: 'native',
  host: '127.0.0.1',
  port: 8800,
  path: '/',
  transport: 'ws',
  options: {
    maxFrameBytes: 1_048_576,
    maxSendQueueBytes: 8_388_608,
    maxProtocolErrors: 10,
    logonTimeoutMs: 10_000,
    maxSubscriptionsPerConnection: 10_000,
    heartbeatIntervalMs: 30_000,
  },
};

const MQTT_OPTIONS = {
  maxPacketBytes: 1_048_576,
  maxSendQueueBytes: 8_388_608,
  connectTimeoutMs: 10_000,
  disconnectOnDeniedPublish: false,
  maxSubscriptionsPerConnection: 10_000,
  topicAliasMaximum: 10,
  receiveMaximum: 100,
};

const DEFAULT_MQTT_LISTENERS = [
  { name: 'mqtt', protocol: 'mqtt', transport: 'tcp', host: '127.0.0.1', port: 1883, options: MQTT_OPTIONS },
  { name: 'mqtt-ws', protocol: 'mqtt', transport: 'websocket', host: '127.0.0.1', port: 8800, path: '/mqtt', options: MQTT_OPTIONS },
];

const DEFAULTS = {
  broker: { name: 'warden' },
  log: { level: 'info' },
  topics: {
    maxTopicLength: 1024,
    maxLevels: 64,
    maxRegexLength: 512,
    routeCacheSize: 100_000,
    routeCacheMaxBytes: 64 * 1024 * 1024,
    regex: {
      maxSubscriptions: 10_000,
      maxSubscriptionsPerUser: 1_000,
      maxProgramSize: 1_000,
      maxTotalProgramSize: 2_000,
      maxProgramSizePerUser: 1_000,
      maxMatchStateBytes: 8_192,
    },
  },
  listeners: [DEFAULT_LISTENER, ...DEFAULT_MQTT_LISTENERS],
  mqtt: {
    retained: { maxMessages: 100_000, maxBytes: 67_108_864 },
    sessions: { maxSessions: 100_000, maxExpirySec: 86_400, maxQueuedMessages: 1000, maxQueuedBytes: 8_388_608, maxBytes: 268_435_456, maxSessionsPerUser: 1000 },
    maxDelayedWills: 100_000,
    clientIdOwnership: 'user',
  },
  shutdown: { graceMs: 5000 },
  security: {
    authentication: { module: 'allow-any', options: {} },
    entitlement: { module: 'allow-all', options: {} },
    entitlementCache: { maxEntries: 100_000, ttlMs: 0 },
    moduleTimeoutMs: 5000,
    maxPendingDeliveries: 10_000,
    logonQueue: { maxInFlight: 2, maxQueuedPerHost: 64, maxQueued: 1024 },
    logonBackoff: { hostFailures: 20, userFailures: 10, windowMs: 60_000, blockMs: 10_000, maxBlockMs: 600_000, maxTracked: 100_000 },
  },
  admin: { enabled: true, host: '127.0.0.1', port: 8801, credentialCache: { ttlMs: 30_000, maxEntries: 1000 } },
  tls: { profiles: {} },
  admission: {
    protocols: ['native', 'mqtt'],
    maxConnections: 65_535,
    maxConnectionsPerHost: 65_535,
    superusers: [],
    userLimits: { enabled: false, default: 2, privileged: { users: [], limit: 3 }, unlimited: [], users: {} },
    remoteHosts: {},
    connectionRate: { perSecond: 50, burst: 200 },
    maxUnauthenticated: 1024,
    maxUnauthenticatedPerHost: 64,
  },
  limits: { public: { users: [] } },
};

describe('defaults', () => {
  it('defaultConfig() is the documented default configuration', () => {
    expect(defaultConfig()).toEqual(DEFAULTS);
  });

  it('the embedded config/warden.yaml loads and equals the schema defaults', () => {
    expect(loadConfigFile(DEFAULT_CONFIG_PATH, {})).toEqual(defaultConfig());
  });

  it('the embedded file spells out every key (so file and schema cannot drift)', () => {
    // Loading would fill in keys the file forgot; the raw document must already be complete.
    expect(parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8'))).toEqual(defaultConfig());
  });

  it('the embedded file has a comment directly above every key', () => {
    const lines = readFileSync(DEFAULT_CONFIG_PATH, 'utf8').split('\n');
    const uncommented = lines.filter((line, i) => /^\s*(- )?\w+:/.test(line) && !/^\s*#/.test(lines[i - 1] ?? ''));
    expect(uncommented).toEqual([]);
  });

  it.each([
    ['{}', {}],
    ['null', null],
    ['undefined', undefined],
  ])('parseConfig(%s) gives the defaults', (_label, input) => {
    expect(parseConfig(input)).toEqual(DEFAULTS);
  });

  it.each([
    ['an empty file', ''],
    ['a file of comments', '# nothing here\n'],
    ['an empty mapping', '{}\n'],
  ])('%s gives the defaults', (_label, text) => {
    expect(loadConfigFile(temp().write('warden.yaml', text), {})).toEqual(DEFAULTS);
  });

  it('sections given in part keep the defaults of the keys left out', () => {
    const config = parseConfig({ topics: { maxLevels: 8 }, listeners: [{ port: 9000, options: { maxProtocolErrors: 3 } }] });
    expect(config.topics).toEqual({ ...DEFAULTS.topics, maxLevels: 8 });
    expect(config.listeners).toEqual([
      { ...DEFAULT_LISTENER, port: 9000, options: { ...DEFAULT_LISTENER.options, maxProtocolErrors: 3 } },
    ]);
  });

  it('accepts several listeners with distinct names and addresses, and any number on port 0', () => {
    const config = parseConfig({
      listeners: [
        { name: 'a', port: 0 },
        { name: 'b', port: 0 },
        { name: 'c', host: '0.0.0.0', port: 8800 },
        { name: 'd', port: 8800 },
      ],
    });
    expect(config.listeners.map((listener) => `${listener.name}@${listener.host}:${listener.port}`)).toEqual([
      'a@127.0.0.1:0',
      'b@127.0.0.1:0',
      'c@0.0.0.0:8800',
      'd@127.0.0.1:8800',
    ]);
  });

  it('accepts the limits at both ends of their ranges', () => {
    const config = parseConfig({
      listeners: [{ port: 65_535, options: { maxFrameBytes: 256, maxSendQueueBytes: 1024, logonTimeoutMs: 0, heartbeatIntervalMs: 0 } }],
    });
    expect(config.listeners[0].port).toBe(65_535);
    expect(config.listeners[0].options).toMatchObject({ maxFrameBytes: 256, logonTimeoutMs: 0, heartbeatIntervalMs: 0 });
  });
});
