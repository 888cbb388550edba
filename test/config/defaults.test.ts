import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, defaultConfig, loadConfigFile, parseConfig } from '../../server/config/index.js';
import { formatKeyPath } from '../../server/config/key-path.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { configErrorOf } from './errors-of.js';

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
  vhostFromUserName: false,
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
  {
    name: 'mqtt',
    protocol: 'mqtt',
    transport: 'tcp',
    host: '127.0.0.1',
    port: 1883,
    options: MQTT_OPTIONS,
    vhostFromUserName: false,
  },
  {
    name: 'mqtt-ws',
    protocol: 'mqtt',
    transport: 'websocket',
    host: '127.0.0.1',
    port: 8800,
    path: '/mqtt',
    options: MQTT_OPTIONS,
    vhostFromUserName: false,
  },
];

const DEFAULTS = {
  broker: { name: 'warden' },
  log: { level: 'info', format: 'auto' },
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
    sessions: {
      maxSessions: 100_000,
      maxExpirySec: 86_400,
      maxQueuedMessages: 1000,
      maxQueuedBytes: 8_388_608,
      maxBytes: 268_435_456,
      maxSessionsPerUser: 1000,
    },
    maxDelayedWills: 100_000,
    clientIdOwnership: 'user',
  },
  persistence: { store: 'lmdb', path: './data', sync: 'batched', syncIntervalMs: 100 },
  shutdown: { graceMs: 5000 },
  security: {
    authentication: { module: 'allow-any', options: {} },
    entitlement: { module: 'allow-all', options: {} },
    entitlementCache: { maxEntries: 100_000, ttlMs: 0 },
    moduleTimeoutMs: 5000,
    maxPendingDeliveries: 10_000,
    logonQueue: { maxInFlight: 2, maxQueuedPerHost: 64, maxQueued: 1024 },
    logonBackoff: {
      hostFailures: 20,
      userFailures: 10,
      windowMs: 60_000,
      blockMs: 10_000,
      maxBlockMs: 600_000,
      maxTracked: 100_000,
    },
  },
  admin: {
    enabled: true,
    host: '127.0.0.1',
    port: 8801,
    credentialCache: { ttlMs: 30_000, maxEntries: 1000 },
    console: {
      enabled: true,
      sessionIdleMs: 1_800_000,
      sessionMaxAgeMs: 43_200_000,
      maxSessions: 100,
      maxEventStreams: 32,
      sampleIntervalMs: 2000,
      historyMs: 900_000,
      secureCookie: false,
    },
  },
  health: { enabled: true, host: '127.0.0.1' },
  metrics: { enabled: true, credentials: 'required', processMetrics: true },
  sys: { enabled: true, intervalSec: 10 },
  audit: { enabled: true, destination: 'stdout', denialWindowMs: 60_000, maxTracked: 100_000 },
  reload: { reset: 'disconnect' },
  content: { filterSyntax: 'jsonata' },
  vhosts: { enabled: false, namePatterns: false },
  tls: { profiles: {} },
  admission: {
    protocols: ['native', 'mqtt', 'http'],
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
    const config = parseConfig({
      topics: { maxLevels: 8 },
      listeners: [{ port: 9000, options: { maxProtocolErrors: 3 } }],
    });
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
      listeners: [
        {
          port: 65_535,
          options: { maxFrameBytes: 256, maxSendQueueBytes: 1024, logonTimeoutMs: 0, heartbeatIntervalMs: 0 },
        },
      ],
    });
    expect(config.listeners[0].port).toBe(65_535);
    expect(config.listeners[0].options).toMatchObject({
      maxFrameBytes: 256,
      logonTimeoutMs: 0,
      heartbeatIntervalMs: 0,
    });
  });
});

type Path = (string | number)[];

/** A key of the embedded file, or an optional one it shows commented out, with the comment lines directly above it. */
interface DocumentedKey {
  path: Path;
  comment: string;
}

const KEY_LINE = /^(\s*)(- )?([A-Za-z]\w*):/;
/** `# keepAliveMaxSec: 300`, `# authentication: { ... }`; not prose such as `# whole: topic, ...`. */
const COMMENTED_KEY_LINE = /^(\s*)# ([a-z]\w*): [[{"\d]/;
const COMMENT_LINE = /^\s*#\s?(.*)$/;

/** Walks the file's lines, tracking each key's path by indentation (list items get their index). */
function documentedKeys(text: string): DocumentedKey[] {
  const keys: DocumentedKey[] = [];
  const open: { indent: number; segment: string | number }[] = [];
  const itemsSeen = new Map<string, number>();
  let comment: string[] = [];
  for (const line of text.split('\n')) {
    const commentedKey = COMMENTED_KEY_LINE.exec(line);
    if (commentedKey !== null) {
      const indent = commentedKey[1]!.length;
      const parent = open.filter((entry) => entry.indent < indent).map((entry) => entry.segment);
      keys.push({ path: [...parent, commentedKey[2]!], comment: comment.join(' ') });
      comment = [];
      continue;
    }
    const commentLine = COMMENT_LINE.exec(line);
    if (commentLine !== null) {
      comment.push(commentLine[1]!);
      continue;
    }
    const key = KEY_LINE.exec(line);
    if (key !== null) {
      let indent = key[1]!.length;
      while (open.length > 0 && open.at(-1)!.indent >= indent) open.pop();
      if (key[2] !== undefined) {
        const list = open.map((entry) => entry.segment).join('.');
        const index = itemsSeen.get(list) ?? 0;
        itemsSeen.set(list, index + 1);
        open.push({ indent, segment: index });
        indent += 2;
      }
      open.push({ indent, segment: key[3]! });
      keys.push({ path: open.map((entry) => entry.segment), comment: comment.join(' ') });
    }
    comment = [];
  }
  return keys;
}

/** What a comment states about an integer key: "Integer MIN..MAX", and "at least SIBLING". */
interface StatedRange {
  path: Path;
  min: number;
  max: number;
  atLeast?: string;
}

function statedRanges(keys: readonly DocumentedKey[]): StatedRange[] {
  const ranges: StatedRange[] = [];
  for (const { path, comment } of keys) {
    const range = /\bintegers? (\d+)\.\.(\d+)/i.exec(comment);
    if (range === null) continue;
    const atLeast = /\bat least ([a-z]\w*)/.exec(comment)?.[1];
    // "A mapping of user names to integers 1..65535": the range of each entry's value.
    const entryPath = /\bmapping of [\w ]+ to integers\b/.test(comment) ? [...path, 'someone'] : path;
    ranges.push({
      path: entryPath,
      min: Number(range[1]),
      max: Number(range[2]),
      ...(atLeast === undefined ? {} : { atLeast }),
    });
  }
  return ranges;
}

const FILE_TEXT = readFileSync(DEFAULT_CONFIG_PATH, 'utf8');
const RANGES = statedRanges(documentedKeys(FILE_TEXT));

const samePath = (a: Path, b: Path): boolean => a.length === b.length && a.every((segment, i) => segment === b[i]);
const siblingOf = (path: Path, key: string): Path => [...path.slice(0, -1), key];

function rangeAt(path: Path): StatedRange {
  const range = RANGES.find((r) => samePath(r.path, path));
  if (range === undefined) throw new Error(`no stated range for ${formatKeyPath(path)}`);
  return range;
}

/** The embedded file with values set at some paths (missing mappings on the way are made). */
function fileWith(values: readonly [Path, number][]): unknown {
  const document: unknown = parse(FILE_TEXT);
  for (const [path, value] of values) {
    let node = document as Record<string | number, unknown>;
    for (const segment of path.slice(0, -1)) {
      node[segment] ??= {};
      node = node[segment] as Record<string | number, unknown>;
    }
    node[path.at(-1)!] = value;
  }
  return document;
}

/**
 * `value` at the range's key, with what the "at least" rules need beside it: a key that must be at
 * least a sibling gets the sibling at its minimum when it is at its own; a key a sibling must be
 * at least gets that sibling at its maximum when it is at its own.
 */
function withCompanions(range: StatedRange, value: number): [Path, number][] {
  const values: [Path, number][] = [[range.path, value]];
  if (range.atLeast !== undefined && value <= range.min) {
    const sibling = siblingOf(range.path, range.atLeast);
    values.push([sibling, rangeAt(sibling).min]);
  }
  for (const other of RANGES) {
    if (other.atLeast !== undefined && samePath(siblingOf(other.path, other.atLeast), range.path) && value >= range.max)
      values.push([other.path, other.max]);
  }
  return values;
}

function issueAt(values: readonly [Path, number][], path: Path): string | undefined {
  const issues = configErrorOf(() => parseConfig(fileWith(values), { env: {} })).issues;
  return issues.find((issue) => issue.path === formatKeyPath(path))?.message;
}

describe('the ranges the embedded file states', () => {
  it('states a range for every integer key', () => {
    const unstated: string[] = [];
    const visit = (value: unknown, path: Path): void => {
      if (typeof value === 'number' && !RANGES.some((r) => samePath(r.path, path))) unstated.push(formatKeyPath(path));
      if (typeof value === 'object' && value !== null)
        for (const [key, child] of Object.entries(value))
          visit(child, [...path, Array.isArray(value) ? Number(key) : key]);
    };
    visit(parse(FILE_TEXT), []);
    expect(unstated).toEqual([]);
    // The commented-out optional keys are read too (keepAliveMaxSec, the limits group's keys).
    expect(RANGES.map((r) => formatKeyPath(r.path))).toEqual(
      expect.arrayContaining(['listeners[1].options.keepAliveMaxSec', 'limits.public.maxQueuedBytes']),
    );
  });

  it.each(RANGES.map((range) => [formatKeyPath(range.path), range] as const))(
    '%s: both ends accepted, one past either rejected',
    (_name, range) => {
      for (const value of [range.min, range.max])
        expect(() => parseConfig(fileWith(withCompanions(range, value)), { env: {} })).not.toThrow();
      for (const value of [range.min - 1, range.max + 1]) {
        expect(issueAt(withCompanions(range, value), range.path)).toBe(
          `expected an integer from ${range.min} to ${range.max}, got ${value}`,
        );
      }
    },
  );

  it.each(
    RANGES.filter((range) => range.atLeast !== undefined).map((range) => [formatKeyPath(range.path), range] as const),
  )('%s: at least its sibling, as stated', (_name, range) => {
    const sibling = siblingOf(range.path, range.atLeast!);
    const value = Math.max(range.min, rangeAt(sibling).min) + 1;
    expect(() =>
      parseConfig(
        fileWith([
          [range.path, value],
          [sibling, value],
        ]),
        { env: {} },
      ),
    ).not.toThrow();
    expect(
      issueAt(
        [
          [range.path, value - 1],
          [sibling, value],
        ],
        range.path,
      ),
    ).toMatch(new RegExp(`^expected at least ${range.atLeast}\\b`));
  });
});
