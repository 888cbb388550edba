// The shape of a Warden configuration. Every field has a default, so `{}` is a complete config;
// config/warden.yaml spells the same defaults out with comments (a test keeps the two equal).
// Objects are strict: a misspelt key is an error, not a silently ignored setting.
import { checkClusterTls, clusterSchema } from './cluster-schema.js';
import { z } from 'zod';
import { booleanField, integerField, stringField } from './fields.js';
import { checkListenerTls, defaultMqttsPorts, listenerTlsSchema, tlsSchema } from './tls-schema.js';
import { admissionSchema, limitsSchema } from './admission-schema.js';
import { FILTER_SYNTAXES } from '../content/filter/filter-syntax.js';
import { moduleSpecSchema } from './module-spec-schema.js';
import { checkVhosts, listenerVhostFields, vhostsSchema } from './vhosts-schema.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const HOUR_MS = 3_600_000;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const NAME_FORM = 'a name of 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit';

/** Instance and listener names appear in logs and metrics labels, so keep them to a safe alphabet. */
const nameField = () => stringField(NAME, 64, NAME_FORM);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const brokerSchema = z.strictObject({
  name: nameField().default('warden'),
});

const logSchema = z.strictObject({
  level: z.enum(LOG_LEVELS).default('info'),
  /** `json` lines, `pretty` lines for people (pino-pretty), or `auto`: pretty on a terminal, JSON otherwise. */
  format: z.enum(['auto', 'json', 'pretty'], { error: 'expected auto, json or pretty' }).default('auto'),
});

/**
 * The budget for regex subscriptions (docs/protocol.md, "Regex subscriptions"). A publish to a new
 * topic tests every distinct regex, at up to (program size x topic length) steps each, so the
 * defaults keep that under 100 ms with 1 KB topics (bench/regex-bench.ts).
 */
const topicsRegexSchema = z.strictObject({
  /** Regex subscriptions in the broker; 0 refuses them all. */
  maxSubscriptions: integerField(0, 10_000_000).default(10_000),
  maxSubscriptionsPerUser: integerField(0, 10_000_000).default(1_000),
  /** Instructions one regex may compile to (re2js programSize). */
  maxProgramSize: integerField(1, 100_000).default(1_000),
  /** Sum over the distinct regexes subscribed to. */
  maxTotalProgramSize: integerField(0, 100_000_000).default(2_000),
  /** Sum over one user's regex subscriptions. */
  maxProgramSizePerUser: integerField(0, 100_000_000).default(1_000),
  /** Match state (lazy DFA cache) one regex may keep. */
  maxMatchStateBytes: integerField(4 * KiB, 64 * MiB).default(8 * KiB),
});

const topicsSchema = z.strictObject({
  /** UTF-8 bytes; 65535 is the most MQTT can carry. */
  maxTopicLength: integerField(1, 65_535).default(1024),
  maxLevels: integerField(1, 1024).default(64),
  maxRegexLength: integerField(1, 16 * KiB).default(512),
  routeCacheSize: integerField(1, 10_000_000).default(100_000),
  /** Estimated heap bytes all cached routes may hold together (their topics and matching subscriptions). */
  routeCacheMaxBytes: integerField(1, 1024 * GiB).default(64 * MiB),
  regex: topicsRegexSchema.prefault({}),
});

const nativeListenerOptionsSchema = z
  .strictObject({
    maxFrameBytes: integerField(256, 64 * MiB).default(1 * MiB),
    maxSendQueueBytes: integerField(1 * KiB, 1 * GiB).default(8 * MiB),
    maxProtocolErrors: integerField(1, 10_000).default(10),
    /** 0 disables. */
    logonTimeoutMs: integerField(0, HOUR_MS).default(10_000),
    maxSubscriptionsPerConnection: integerField(1, 1_000_000).default(10_000),
    /** 0 disables. */
    heartbeatIntervalMs: integerField(0, HOUR_MS).default(30_000),
  })
  .superRefine((options, ctx) => {
    // A queue smaller than one frame would disconnect any subscriber sent a maximum-size message.
    if (options.maxSendQueueBytes < options.maxFrameBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxSendQueueBytes'],
        input: options.maxSendQueueBytes,
        message: 'expected at least maxFrameBytes, so one maximum-size frame fits in the send queue',
      });
    }
  });

const hostField = () => stringField(/^\S+$/, 253, 'a host name or IP address (no spaces)');
const portField = () => integerField(0, 65_535);
const urlPathField = () => stringField(/^\/[^\s?#]*$/, 1024, 'a URL path starting with "/" (no spaces, "?" or "#")');

const securitySchema = z.strictObject({
  /** The instance's authentication module; a listener's own `authentication` wins (as in AMPS). */
  authentication: moduleSpecSchema.prefault({ module: 'allow-any' }),
  /** The instance's entitlement module; a listener's own `entitlement` wins (as in AMPS). */
  entitlement: moduleSpecSchema.prefault({ module: 'allow-all' }),
  entitlementCache: z
    .strictObject({
      /** Cached (user, action, resource) answers; the least recently used are evicted beyond this. */
      maxEntries: integerField(1, 10_000_000).default(100_000),
      /** 0: answers live until a reset. */
      ttlMs: integerField(0, 7 * 24 * HOUR_MS).default(0),
    })
    .prefault({}),
  /** A module answer slower than this is a failure: the request is denied (fail closed). */
  moduleTimeoutMs: integerField(1, 300_000).default(5000),
  /** Per connection: deliveries held while a read entitlement check is pending; beyond it they are dropped and counted. */
  maxPendingDeliveries: integerField(1, 1_000_000).default(10_000),
  /** Credential checks (scrypt on libuv's threadpool for `users`) in flight and waiting, shared fairly by remote host (docs/authentication.md). */
  logonQueue: z
    .strictObject({
      /**
       * Checks running at once, broker-wide. Half of libuv's 4 threads: DNS lookups and file reads
       * share the pool, and on a 2-core machine the event loop keeps a core for everyone else.
       */
      maxInFlight: integerField(1, 1024).default(2),
      /** Checks one remote host may have waiting; beyond it its logons are refused at once (SERVER_BUSY / 0x89). */
      maxQueuedPerHost: integerField(1, 100_000).default(64),
      /** Checks waiting over every host. */
      maxQueued: integerField(1, 1_000_000).default(1024),
    })
    .prefault({}),
  /** Failed-logon back-off per remote host and per user name (docs/authentication.md). */
  logonBackoff: z
    .strictObject({
      /** Refused logons from one host within windowMs that block it; 0 turns the per-host back-off off. */
      hostFailures: integerField(0, 1_000_000).default(20),
      /** Refused logons for one user name within windowMs that block the name; 0 turns it off. */
      userFailures: integerField(0, 1_000_000).default(10),
      windowMs: integerField(1, 24 * HOUR_MS).default(60_000),
      /** The first block; each further one doubles, up to maxBlockMs. */
      blockMs: integerField(1, 24 * HOUR_MS).default(10_000),
      maxBlockMs: integerField(1, 7 * 24 * HOUR_MS).default(600_000),
      /** Hosts, and user names, tracked at once (each); the least recently failed are forgotten beyond it. */
      maxTracked: integerField(1, 10_000_000).default(100_000),
    })
    .superRefine((backoff, ctx) => {
      if (backoff.maxBlockMs < backoff.blockMs) {
        ctx.addIssue({
          code: 'custom',
          path: ['maxBlockMs'],
          input: backoff.maxBlockMs,
          message: 'expected at least blockMs',
        });
      }
    })
    .prefault({}),
});

/**
 * WebSocket engines. uWebSockets.js (the build Warden uses has no TLS) is for plain listeners; a
 * listener whose binary does not load at start-up falls back to ws with a warning.
 */
export const WEBSOCKET_ENGINES = ['ws', 'uws'] as const;
export type WebSocketEngine = (typeof WEBSOCKET_ENGINES)[number];

const nativeListenerSchema = z.strictObject({
  // The default protocol lets a listener entry omit it; only one union member may have one.
  protocol: z.literal('native').default('native'),
  name: nameField().default('native'),
  host: hostField().default('127.0.0.1'),
  /** 0 asks the OS for an ephemeral port (tests). */
  port: portField().default(8800),
  path: urlPathField().default('/'),
  /** The WebSocket engine: `ws` (portable, the default) or `uws` (uWebSockets.js, plain listeners only). */
  transport: z.enum(WEBSOCKET_ENGINES).default('ws'),
  options: nativeListenerOptionsSchema.prefault({}),
  /** Overrides security.authentication for this listener. */
  authentication: moduleSpecSchema.optional(),
  /** Overrides security.entitlement for this listener. */
  entitlement: moduleSpecSchema.optional(),
  /** Serve wss:// with a profile of the top-level tls section (docs/tls.md). */
  tls: listenerTlsSchema.optional(),
  ...listenerVhostFields,
});

const mqttListenerOptionsSchema = z
  .strictObject({
    /** Largest accepted MQTT packet (whole packet); v5 clients are told it in CONNACK. */
    maxPacketBytes: integerField(64, 256 * MiB).default(1 * MiB),
    /** Optional cap on the client's keepalive, in seconds (v5: sent as Server Keep Alive). */
    keepAliveMaxSec: integerField(1, 65_535).optional(),
    maxSendQueueBytes: integerField(1 * KiB, 1 * GiB).default(8 * MiB),
    /** A connection that has not sent CONNECT within this time is closed. 0 disables. */
    connectTimeoutMs: integerField(0, HOUR_MS).default(10_000),
    /** A denied QoS 0 (or v3.1.1) publish is dropped and counted; true disconnects the client instead. */
    disconnectOnDeniedPublish: booleanField().default(false),
    maxSubscriptionsPerConnection: integerField(1, 1_000_000).default(10_000),
    /** v5 Topic Alias Maximum told to clients in CONNACK: topic aliases a client may use per connection. 0 allows none. */
    topicAliasMaximum: integerField(0, 65_535).default(10),
    /**
     * Receive Maximum: QoS 2 publishes a client may leave unfinished (awaiting PUBREL) at once.
     * Told to v5 clients in CONNACK; past it v5 gets DISCONNECT 0x93, v3.1.1 is closed.
     */
    receiveMaximum: integerField(1, 65_535).default(100),
  })
  .superRefine((options, ctx) => {
    if (options.maxSendQueueBytes < options.maxPacketBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxSendQueueBytes'],
        input: options.maxSendQueueBytes,
        message: 'expected at least maxPacketBytes, so one maximum-size packet fits in the send queue',
      });
    }
  });

const mqttListenerCommon = {
  protocol: z.literal('mqtt'),
  host: hostField().default('127.0.0.1'),
  options: mqttListenerOptionsSchema.prefault({}),
  /** Overrides security.authentication for this listener. */
  authentication: moduleSpecSchema.optional(),
  /** Overrides security.entitlement for this listener. */
  entitlement: moduleSpecSchema.optional(),
  /** Serve mqtts:// (TCP; default port 8883) or wss:// (WebSocket) with a profile of the top-level tls section. */
  tls: listenerTlsSchema.optional(),
  ...listenerVhostFields,
};

/** MQTT over plain TCP. */
const mqttTcpListenerSchema = z.strictObject({
  ...mqttListenerCommon,
  name: nameField().default('mqtt'),
  port: portField().default(1883),
  transport: z.literal('tcp').default('tcp'),
});

/** MQTT over WebSocket (subprotocol mqtt); may share host:port with a native listener on another path. */
const mqttWsListenerSchema = z.strictObject({
  ...mqttListenerCommon,
  name: nameField().default('mqtt-ws'),
  port: portField().default(1883),
  transport: z.literal('websocket'),
  path: urlPathField().default('/mqtt'),
});

/** MQTT over WebSocket served by uWebSockets.js: the same fields as `websocket`. */
const mqttUwsListenerSchema = z.strictObject({
  ...mqttListenerCommon,
  name: nameField().default('mqtt-ws'),
  port: portField().default(1883),
  transport: z.literal('uws'),
  path: urlPathField().default('/mqtt'),
});

const mqttListenerSchema = z.discriminatedUnion('transport', [
  mqttTcpListenerSchema,
  mqttWsListenerSchema,
  mqttUwsListenerSchema,
]);

/**
 * HTTP publish (docs/http.md): `POST /api/publish` for back-end services. A request body may be
 * 3 x maxMessageBytes + 64 KiB: `bytes` in base64 is 4/3 of the payload, and JSON written with
 * \u escapes (Python's json.dumps by default) up to 3x its UTF-8 text; the envelope's fields
 * fit in the 64 KiB.
 */
const httpListenerOptionsSchema = z
  .strictObject({
    /** Largest payload one request may publish: the JSON text of `data`, or the bytes `bytes` decodes to. */
    maxMessageBytes: integerField(256, 64 * MiB).default(1 * MiB),
    /** Request bodies held at once over the listener (read, or waiting to be handled); beyond it a request gets 503 SERVER_BUSY. */
    maxBufferedBytes: integerField(64 * KiB, 16 * GiB).default(64 * MiB),
    /** A connection that has not logged on (sent an accepted request) within this time is closed. 0 disables. */
    logonTimeoutMs: integerField(0, HOUR_MS).default(10_000),
    /** A request's headers must all arrive within this. */
    headersTimeoutMs: integerField(1000, HOUR_MS).default(10_000),
    /** A whole request (headers and body) must arrive within this. */
    requestTimeoutMs: integerField(1000, HOUR_MS).default(30_000),
    /** An idle keep-alive connection is closed after this. */
    keepAliveTimeoutMs: integerField(1, HOUR_MS).default(5_000),
  })
  .superRefine((options, ctx) => {
    // A budget smaller than one largest request would refuse it whatever else is going on.
    if (options.maxBufferedBytes < maxHttpBodyBytes(options.maxMessageBytes)) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxBufferedBytes'],
        input: options.maxBufferedBytes,
        message: `expected at least 3 x maxMessageBytes + 65536 (${maxHttpBodyBytes(options.maxMessageBytes)}), so one largest request fits`,
      });
    }
    if (options.requestTimeoutMs < options.headersTimeoutMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['requestTimeoutMs'],
        input: options.requestTimeoutMs,
        message: 'expected at least headersTimeoutMs (the request timeout includes the headers)',
      });
    }
  });

/** The largest request body an HTTP publish listener reads, for its maxMessageBytes (see httpListenerOptionsSchema). */
export function maxHttpBodyBytes(maxMessageBytes: number): number {
  return 3 * maxMessageBytes + 64 * KiB;
}

const httpListenerSchema = z.strictObject({
  protocol: z.literal('http'),
  name: nameField().default('http'),
  host: hostField().default('127.0.0.1'),
  port: portField().default(8803),
  options: httpListenerOptionsSchema.prefault({}),
  /** Overrides security.authentication for this listener. */
  authentication: moduleSpecSchema.optional(),
  /** Overrides security.entitlement for this listener. */
  entitlement: moduleSpecSchema.optional(),
  /** Serve https:// with a profile of the top-level tls section. */
  tls: listenerTlsSchema.optional(),
  ...listenerVhostFields,
});

/** One member per wire protocol. */
const listenerSchema = z.discriminatedUnion('protocol', [nativeListenerSchema, mqttListenerSchema, httpListenerSchema]);

type Listener = z.output<typeof listenerSchema>;

/** Names must be unique (they identify listeners in logs); so must bound addresses, except ephemeral port 0. */
function checkListenersUnique(listeners: readonly Listener[], ctx: z.core.$RefinementCtx<Listener[]>): void {
  const byName = new Map<string, number>();
  const byAddress = new Map<string, number>();
  listeners.forEach((listener, index) => {
    // The uWebSockets.js build Warden uses has no TLS: a uws listener asking for it would serve plain text.
    const tls = (listener as { tls?: unknown }).tls;
    if (isWebSocket(listener) && engineOf(listener) === 'uws' && tls !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'tls'],
        input: tls,
        message: 'expected no tls on a uws listener (its uWebSockets.js build has no TLS: use ws for wss://)',
      });
    }
    const sameName = byName.get(listener.name);
    if (sameName === undefined) byName.set(listener.name, index);
    else {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'name'],
        input: listener.name,
        message: `expected a name no other listener has (listeners[${sameName}] has the same)`,
      });
    }
    if (listener.port === 0) return;
    const address = `${listener.host.toLowerCase()}:${listener.port}`;
    const sameAddress = byAddress.get(address);
    if (sameAddress === undefined) byAddress.set(address, index);
    else if (isWebSocket(listener) && isWebSocket(listeners[sameAddress]!) && !samePathBefore(listeners, index)) {
      // WebSocket listeners share one HTTP server per host:port, routed by path: distinct paths may share it,
      // if one engine serves them all.
      const first = listeners[sameAddress]!;
      if (engineOf(listener) !== engineOf(first)) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'transport'],
          input: listener.transport,
          message:
            `expected ${JSON.stringify(transportValueFor(listener, engineOf(first)))}, as listeners[${sameAddress}] on ${address} ` +
            `uses ${engineOf(first)} (WebSocket listeners on one host:port share one server)`,
        });
      }
    } else {
      ctx.addIssue({
        code: 'custom',
        path: [index],
        input: `${listener.host}:${listener.port}`,
        message: `expected a host:port no other listener has (listeners[${sameAddress}] has the same)`,
      });
    }
  });
}

/** Whether a WebSocket listener before `index` has the same host, port and path as listeners[index]. */
function samePathBefore(listeners: readonly Listener[], index: number): boolean {
  const listener = listeners[index]!;
  if (!isWebSocket(listener)) return false;
  const host = listener.host.toLowerCase();
  return listeners.some(
    (l, i) =>
      i < index &&
      isWebSocket(l) &&
      l.host.toLowerCase() === host &&
      l.port === listener.port &&
      l.path === listener.path,
  );
}

function isWebSocket(listener: Listener): listener is Extract<Listener, { path: string }> {
  if (listener.protocol === 'http') return false;
  return listener.protocol === 'native' || listener.transport !== 'tcp';
}

/** The engine serving a WebSocket listener: native listeners say it in `transport`, MQTT ones by `websocket` (ws) or `uws`. */
export function engineOf(listener: Extract<Listener, { path: string }>): WebSocketEngine {
  return listener.transport === 'uws' ? 'uws' : 'ws';
}

/** The `transport` value that selects `engine` for a listener of this protocol. */
function transportValueFor(listener: Extract<Listener, { path: string }>, engine: WebSocketEngine): string {
  if (listener.protocol === 'native' || engine === 'uws') return engine;
  return 'websocket';
}

/** The embedded default: the native listener, MQTT over TCP, and MQTT over WebSocket beside the native protocol. */
const DEFAULT_LISTENERS = [
  {},
  { protocol: 'mqtt' as const },
  { protocol: 'mqtt' as const, transport: 'websocket' as const, port: 8800 },
];

// The input type names the listener shapes (preprocess alone would make it unknown).
const listenersSchema = z.preprocess<unknown, z.ZodArray<typeof listenerSchema>, z.input<typeof listenerSchema>[]>(
  defaultMqttsPorts,
  z
    .array(listenerSchema, { error: 'expected a list of listeners' })
    .min(1, { error: 'expected at least one listener' })
    .max(64, { error: 'expected at most 64 listeners' })
    .superRefine(checkListenersUnique),
);

/** Broker-wide MQTT state, shared by every MQTT listener (docs/mqtt.md). */
const mqttSchema = z.strictObject({
  /** Retained messages (one per topic), in memory. */
  retained: z
    .strictObject({
      /** Most retained topics; a new one beyond it is not stored (counted in mqttRetainedRefused). 0 disables retaining. */
      maxMessages: integerField(0, 10_000_000).default(100_000),
      /** Most bytes over all retained messages (topic, v5 properties, payload, per-entry overhead); a message that would exceed it is not stored. */
      maxBytes: integerField(0, 16 * GiB).default(64 * MiB),
    })
    .prefault({}),
  /** Persistent sessions (Clean Start 0 / Clean Session 0), in memory. */
  sessions: z
    .strictObject({
      /** Most sessions kept for absent clients; beyond it a session is not kept (counted in mqttSessionsNotKept). */
      maxSessions: integerField(0, 10_000_000).default(100_000),
      /** Cap on the Session Expiry Interval, in seconds; also the lifetime of a v3.1.1 Clean Session 0 session. */
      maxExpirySec: integerField(1, 4_294_967_295).default(86_400),
      /** Per session: QoS 1 and 2 messages kept (queued and in flight); beyond it the oldest queued is dropped (counted). */
      maxQueuedMessages: integerField(1, 1_000_000).default(1000),
      /** Per session: bytes its kept messages hold (held-bytes.ts); beyond it the oldest queued is dropped (counted). */
      maxQueuedBytes: integerField(1 * KiB, 16 * GiB).default(8 * MiB),
      /** Over all kept sessions: bytes their messages hold; beyond it the store's oldest messages are dropped (counted). */
      maxBytes: integerField(1 * KiB, 1024 * GiB).default(256 * MiB),
      /** Per user: persistent sessions (kept, or held by a live connection); beyond it a new one ends with its connection (counted). */
      maxSessionsPerUser: integerField(0, 10_000_000).default(1000),
    })
    .superRefine((sessions, ctx) => {
      // A store smaller than one session's queue would drop a session's messages that its own cap allows.
      if (sessions.maxBytes < sessions.maxQueuedBytes) {
        ctx.addIssue({
          code: 'custom',
          path: ['maxBytes'],
          input: sessions.maxBytes,
          message: 'expected at least maxQueuedBytes, so one full session fits in the store',
        });
      }
    })
    .prefault({}),
  /** v5 wills waiting out their Will Delay Interval; beyond it a will is published at once (counted). */
  maxDelayedWills: integerField(0, 10_000_000).default(100_000),
  /** `user`: a client id held by one user (connected, kept session, delayed will) is refused to another (CONNACK 0x85 / 2); `any`: anyone takes it over. */
  clientIdOwnership: z.enum(['user', 'any']).default('user'),
});

/** What survives a restart: retained messages, persistent sessions and delayed wills (docs/persistence.md). */
const persistenceObjectSchema = z.strictObject({
  /**
   * `lmdb`: on disk in `path` (the default); `memory`: nothing survives the process (a warning says
   * so at start-up); `redis`: the cluster's Redis (cluster.redis), shared by its nodes, the default
   * with `cluster`.
   */
  store: z.enum(['lmdb', 'memory', 'redis'], { error: 'expected lmdb, memory or redis' }).default('lmdb'),
  /** The store's directory (created if missing); relative to the working directory. */
  path: z.string().min(1, { error: 'expected a directory path' }).default('./data'),
  /** What a QoS 1/2 acknowledgement waits for: `always` the disk, `batched` the commit (the OS holds it), `none` nothing. */
  sync: z.enum(['always', 'batched', 'none'], { error: 'expected always, batched or none' }).default('batched'),
  /** `batched` and `none`: what was committed is flushed to disk this often (the most a machine crash can undo). */
  syncIntervalMs: integerField(1, 60_000).default(100),
});

// `persistence: none` is short for `persistence: { store: memory }`.
const persistenceSchema = z.preprocess<
  unknown,
  typeof persistenceObjectSchema,
  z.input<typeof persistenceObjectSchema> | 'none'
>((value) => (value === 'none' ? { store: 'memory' } : value), persistenceObjectSchema);

const shutdownSchema = z.strictObject({
  graceMs: integerField(0, 10 * 60_000).default(5000),
});

/** The audit log: logons, admin actions, entitlement denials (docs/admin.md#audit-log). */
const auditSchema = z.strictObject({
  enabled: booleanField().default(true),
  /** `stdout` (the log's stream, each line with audit: true), or a file path (appended; relative to the working directory). */
  destination: z.string().min(1, { error: 'expected stdout or a file path' }).default('stdout'),
  /** One denial line per (user, action, resource) per this many ms; later ones are counted in the next. */
  denialWindowMs: integerField(0, 3_600_000).default(60_000),
  /** (user, action, resource) triples remembered for the rate limit. */
  maxTracked: integerField(1, 10_000_000).default(100_000),
});

/** Content filters (docs/filters.md). */
const contentSchema = z.strictObject({
  /**
   * The syntax of a filter that does not name one: a subscription's, a policy grant's, an
   * entitlement answer's. `jsonata`, or `amps` for AMPS-style filters (docs/filters.md#the-amps-syntax).
   */
  filterSyntax: z.enum(FILTER_SYNTAXES, { error: 'expected jsonata or amps' }).default('jsonata'),
});

/** How a live reload resets entitlements when users or policy changed (docs/admin.md#live-reload). */
export const RESET_MODES = ['disconnect', 'reevaluate', 'none'] as const;
export type ResetMode = (typeof RESET_MODES)[number];

/** Live reload (SIGHUP, `warden admin reload`): docs/admin.md#live-reload. */
const reloadSchema = z.strictObject({
  /**
   * After a reload that changed users or policy, for SIGHUP and for a reload that names no mode:
   * `disconnect` clears the entitlement cache and closes every logged-on connection (4004, as an
   * entitlement reset does); `reevaluate` clears the cache and asks the modules again for what
   * open connections hold, closing only users whose logon is now denied; `none` clears the cache
   * and keeps the connections.
   */
  reset: z.enum(RESET_MODES, { error: 'expected disconnect, reevaluate or none' }).default('disconnect'),
});

/** `$SYS` topics: a Mosquitto-compatible subset of the counters (docs/mqtt.md#sys-topics). */
const sysSchema = z.strictObject({
  enabled: booleanField().default(true),
  /** Mosquitto's sys_interval: how often the values are published (those that changed). */
  intervalSec: integerField(1, 3600).default(10),
});

/** GET /healthz and /readyz, without credentials (docs/admin.md#health-probes). */
const healthSchema = z.strictObject({
  enabled: booleanField().default(true),
  /** With `port`: the probes' own listener's interface. */
  host: hostField().default('127.0.0.1'),
  /** A port of their own (0: any free one); absent, the probes are served by the admin listener. */
  port: portField().optional(),
});

/** GET /metrics on the admin listener, in Prometheus' text format (docs/metrics.md). */
const metricsSchema = z.strictObject({
  enabled: booleanField().default(true),
  /** `required`: scrapes authenticate and are entitled as admin reads of /metrics; `none`: anyone who reaches the listener may scrape. */
  credentials: z.enum(['required', 'none'], { error: 'expected required or none' }).default('required'),
  /** Node.js process metrics too (CPU, memory, heap, GC, event-loop lag), prom-client's defaults. */
  processMetrics: booleanField().default(true),
});

/** The admin console at /console on the admin listener (docs/console.md). */
const consoleSchema = z.strictObject({
  enabled: booleanField().default(true),
  /** A session unused for this long ends (an open console page keeps its session in use). */
  sessionIdleMs: integerField(60_000, 24 * HOUR_MS).default(30 * 60_000),
  /** A session ends this long after sign-in, in use or not. */
  sessionMaxAgeMs: integerField(60_000, 7 * 24 * HOUR_MS).default(12 * HOUR_MS),
  /** Signed-in sessions at once; beyond it the oldest ends. */
  maxSessions: integerField(1, 10_000).default(100),
  /** Open live-update streams (one per console page) at once; beyond it new ones get 503. */
  maxEventStreams: integerField(1, 1000).default(32),
  /** How often the charts get a sample. */
  sampleIntervalMs: integerField(500, 60_000).default(2000),
  /** How much history the charts show, kept in memory (at most 7200 samples: an hour at 500 ms). */
  historyMs: integerField(60_000, HOUR_MS).default(15 * 60_000),
  /** Mark the session cookie Secure: for a console reached through a TLS-terminating proxy. */
  secureCookie: booleanField().default(false),
});

const adminSchema = z.strictObject({
  /** The admin HTTP listener (entitlement reset/disable/enable/status). */
  enabled: booleanField().default(true),
  host: hostField().default('127.0.0.1'),
  port: portField().default(8801),
  /** Admin requests authenticate with this module; default: security.authentication. */
  authentication: moduleSpecSchema.optional(),
  /** Admin requests are entitled (resource type admin) by this module; default: security.entitlement. */
  entitlement: moduleSpecSchema.optional(),
  /** Successful Basic logons remembered, so a client costs one password check per ttlMs, not one per request. */
  credentialCache: z
    .strictObject({
      /** 0 turns the cache off. */
      ttlMs: integerField(0, HOUR_MS).default(30_000),
      maxEntries: integerField(1, 100_000).default(1000),
    })
    .prefault({}),
  console: consoleSchema.prefault({}),
});

/**
 * With `cluster`, persistence.store defaults to `redis`: the nodes share retained messages and
 * sessions there. Decided before validation, where an absent store can still be told from lmdb.
 */
function storeDefault(document: unknown): unknown {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return document;
  const { cluster, persistence } = document as Record<string, unknown>;
  if (cluster === undefined) return document;
  if (persistence === undefined) return { ...document, persistence: { store: 'redis' } };
  if (typeof persistence === 'object' && persistence !== null && !('store' in persistence))
    return { ...document, persistence: { ...persistence, store: 'redis' } };
  return document;
}

const wardenConfigObjectSchema = z
  .strictObject({
    broker: brokerSchema.prefault({}),
    log: logSchema.prefault({}),
    topics: topicsSchema.prefault({}),
    listeners: listenersSchema.prefault(DEFAULT_LISTENERS),
    mqtt: mqttSchema.prefault({}),
    persistence: persistenceSchema.prefault({}),
    shutdown: shutdownSchema.prefault({}),
    security: securitySchema.prefault({}),
    admin: adminSchema.prefault({}),
    health: healthSchema.prefault({}),
    metrics: metricsSchema.prefault({}),
    sys: sysSchema.prefault({}),
    audit: auditSchema.prefault({}),
    reload: reloadSchema.prefault({}),
    content: contentSchema.prefault({}),
    /** TLS profiles (certificate, key, CAs, versions) that listeners name in their `tls` (docs/tls.md). */
    tls: tlsSchema.prefault({}),
    /** Who may connect, from where, how many at once (docs/admission.md). */
    admission: admissionSchema.prefault({}),
    /** Resource-limit groups: per-connection limits by user (docs/admission.md). */
    limits: limitsSchema,
    /** Several nodes acting as one broker over Redis (docs/cluster.md); absent: one process, no Redis. */
    cluster: clusterSchema.optional(),
    /** Virtual hosts: tenants with their own topics, users, policy and limits (docs/vhosts.md). */
    vhosts: vhostsSchema.prefault({}),
  })
  .superRefine((config, ctx) => {
    checkListenerTls(config, ctx);
    checkVhosts(config, ctx);
    checkClusterTls(config, ctx);
    if (config.persistence.store === 'redis' && config.cluster === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['persistence', 'store'],
        input: 'redis',
        message: "expected lmdb or memory: the redis store is the cluster's, and there is no `cluster` section",
      });
    if (config.persistence.store === 'lmdb' && config.cluster !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['persistence', 'store'],
        input: 'lmdb',
        message: 'expected redis (or memory) in a cluster: its nodes share retained messages and sessions in Redis',
      });
  });

export const wardenConfigSchema = z.preprocess<unknown, typeof wardenConfigObjectSchema, WardenConfigObjectInput>(
  storeDefault,
  wardenConfigObjectSchema,
);
type WardenConfigObjectInput = z.input<typeof wardenConfigObjectSchema>;

export type WardenConfig = z.output<typeof wardenConfigSchema>;
/**
 * What startBroker accepts: the YAML file's shape, every key optional; numbers and booleans may
 * also be strings (their text, or a placeholder). A WardenConfig is one too.
 */
export type WardenConfigInput = z.input<typeof wardenConfigSchema>;
export type BrokerConfig = z.output<typeof brokerSchema>;
export type LogConfig = z.output<typeof logSchema>;
export type LogLevel = LogConfig['level'];
export type TopicsConfig = z.output<typeof topicsSchema>;
export type ListenerConfig = z.output<typeof listenerSchema>;
export type NativeListenerConfig = z.output<typeof nativeListenerSchema>;
export type NativeListenerOptions = z.output<typeof nativeListenerOptionsSchema>;
export type MqttListenerConfig = z.output<typeof mqttListenerSchema>;
export type MqttListenerOptions = z.output<typeof mqttListenerOptionsSchema>;
export type HttpListenerConfig = z.output<typeof httpListenerSchema>;
export type HttpListenerOptions = z.output<typeof httpListenerOptionsSchema>;
export type MqttConfig = z.output<typeof mqttSchema>;
export type ShutdownConfig = z.output<typeof shutdownSchema>;
export type PersistenceConfig = z.output<typeof persistenceObjectSchema>;
export type ModuleSpec = z.output<typeof moduleSpecSchema>;
export type SecurityConfig = z.output<typeof securitySchema>;
export type AdminConfig = z.output<typeof adminSchema>;
export type HealthConfig = z.output<typeof healthSchema>;
export type MetricsConfig = z.output<typeof metricsSchema>;
export type AuditConfig = z.output<typeof auditSchema>;
export type ReloadConfig = z.output<typeof reloadSchema>;
export type ContentConfig = z.output<typeof contentSchema>;
export type { VhostsConfig } from './vhosts-schema.js';
export type { ClusterConfig } from './cluster-schema.js';
