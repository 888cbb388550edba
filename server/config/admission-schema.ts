// The `admission` and `limits` sections: who may connect, from where, how many at once, and the
// resource limits each connection gets from its user's group (SwiftMQ's resource limit groups, AMQ
// Interconnect's memory limits). docs/admission.md is the prose version, with the vendor documents
// each rule follows ("Vendor settings in Warden's terms").
import { z } from 'zod';
import { parseHostPattern } from '../security/authentication/host-access.js';
import { booleanField, integerField } from './fields.js';

const KiB = 1024;
const GiB = 1024 * 1024 * KiB;

/** AMQ Interconnect §7.2.2, global `maxConnections`: "The default (and the maximum) value is 65535." */
const MAX_CONNECTIONS = 65_535;

/** Wire protocols a listener can speak; `admission.protocols` lists the enabled ones (netconfd-pro, "Protocol Control"). */
export const PROTOCOLS = ['native', 'mqtt', 'http'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** The group users in no other group belong to (SwiftMQ, "Resource Limit Groups": "There exists a resource limit group public which is used per default"). */
export const DEFAULT_LIMIT_GROUP = 'public';

const USER_FORM = 'a user name (at most 1024 characters)';
/** The empty name is allowed: it is the identity of an implicit logon (AMPS, "Authentication"). */
const userField = () => z.string({ error: `expected ${USER_FORM}` }).max(1024, { error: `expected ${USER_FORM}` });

/** A list of user names, each at most once (a repeat is a likely copy-paste slip). */
const userListField = () =>
  z.array(userField(), { error: 'expected a list of user names' }).superRefine((users, ctx) => {
    const seen = new Set<string>();
    users.forEach((user, index) => {
      if (seen.has(user))
        ctx.addIssue({ code: 'custom', path: [index], input: user, message: 'expected each user once in this list' });
      seen.add(user);
    });
  });

const HOST_ENTRY_FORM = '"*", an IP address or a CIDR network (10.0.0.0/8)';

/**
 * One host access entry. Host names are not accepted here (the users authentication module takes
 * them): admission runs on every logon and must not wait on DNS.
 */
const hostEntryField = () =>
  z.string({ error: `expected ${HOST_ENTRY_FORM}` }).superRefine((text, ctx) => {
    let problem: string | undefined;
    try {
      const pattern = parseHostPattern(text);
      if (pattern.kind === 'hostname' || pattern.kind === 'domain')
        problem = `expected ${HOST_ENTRY_FORM} (host names are not supported in admission lists)`;
    } catch (err) {
      problem = `expected ${HOST_ENTRY_FORM}: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (problem !== undefined) ctx.addIssue({ code: 'custom', input: text, message: problem });
  });

/** AMQ Interconnect `remoteHosts`, SwiftMQ host access lists: where a user (or a group's users) may connect from. An empty list allows no host. */
const hostListField = () =>
  z.array(hostEntryField(), { error: `expected a list of host entries, each ${HOST_ENTRY_FORM}` });

/** Per-user concurrent connection limits: Apache Knox's concurrent session tiers plus netconfd-pro's per-user overrides. */
const userLimitsSchema = z
  .strictObject({
    /** Knox's verifier switch (`concurrentsessionverifier.impl`): off, no per-user limit applies (the tiers below are kept but unused). */
    enabled: booleanField().default(false),
    /** Knox "non-privileged" limit: users in no tier and without an override. */
    default: integerField(1, MAX_CONNECTIONS).default(2),
    privileged: z
      .strictObject({
        users: userListField().default([]),
        limit: integerField(1, MAX_CONNECTIONS).default(3),
      })
      .prefault({}),
    /** Knox "unlimited": no limit, even for a user also listed as privileged. */
    unlimited: userListField().default([]),
    /** netconfd-pro `--max-per-user-sessions guest1:1`: a user's own limit, over the default and the privileged tier. */
    users: z
      .record(userField(), integerField(1, MAX_CONNECTIONS), {
        error: 'expected a mapping of user names to connection limits',
      })
      .default({}),
  })
  .superRefine((limits, ctx) => {
    // Unlimited would silently win over an explicit number: make the operator choose.
    for (const user of limits.unlimited) {
      if (Object.hasOwn(limits.users, user)) {
        ctx.addIssue({
          code: 'custom',
          path: ['users', user],
          input: limits.users[user],
          message: `expected no limit for "${user}", who is listed in unlimited`,
        });
      }
    }
  });

/** Connection storms: a token bucket per remote host, checked when a connection is accepted. */
const connectionRateSchema = z.strictObject({
  /** Tokens added per second; 0 disables the rate limit. On by default (against logon floods): a NAT of a few hundred clients reconnecting at once does not reach it. */
  perSecond: integerField(0, 1_000_000).default(50),
  /** Bucket size: connections a host may open at once after being quiet. */
  burst: integerField(1, 1_000_000).default(200),
});

export const admissionSchema = z.strictObject({
  /** netconfd-pro "Protocol Control": connections to a listener of a protocol not listed are closed at once. */
  protocols: z
    .array(z.enum(PROTOCOLS, { error: 'expected "native", "mqtt" or "http"' }), {
      error: 'expected a list of protocols: native, mqtt, http',
    })
    .superRefine((protocols, ctx) => {
      if (new Set(protocols).size !== protocols.length)
        ctx.addIssue({ code: 'custom', input: protocols, message: 'expected each protocol once' });
    })
    .default([...PROTOCOLS]),
  /** AMQ Interconnect §7.2.2 policy maxConnections: admitted connections over every listener; always enforced. */
  maxConnections: integerField(1, MAX_CONNECTIONS).default(MAX_CONNECTIONS),
  /** AMQ Interconnect §7.2.3.2 vhost maxConnectionsPerHost: admitted connections from one remote address. */
  maxConnectionsPerHost: integerField(1, MAX_CONNECTIONS).default(MAX_CONNECTIONS),
  /** netconfd-pro --allowed-user: when set, only these users (and superusers) are admitted. Unset: everyone. */
  allowedUsers: userListField().optional(),
  /** netconfd-pro --superuser: always passes allowedUsers; still subject to every limit. */
  superusers: userListField().default([]),
  userLimits: userLimitsSchema.prefault({}),
  /** SwiftMQ host access lists, per user; a user's own list replaces its group's. */
  remoteHosts: z
    .record(userField(), hostListField(), { error: 'expected a mapping of user names to host lists' })
    .default({}),
  connectionRate: connectionRateSchema.prefault({}),
  /**
   * Connections not logged on yet (native: before its logon is accepted, WebSocket upgrade
   * included; MQTT: before CONNACK), over every listener; a socket over it is closed at once.
   */
  maxUnauthenticated: integerField(1, MAX_CONNECTIONS).default(1024),
  /** The same from one remote address, so one host cannot take every slot. */
  maxUnauthenticatedPerHost: integerField(1, MAX_CONNECTIONS).default(64),
});

/** One resource-limit group (SwiftMQ) with the remote hosts of AMQ Interconnect's vhost user groups. Absent limits: the listener's own. */
const limitGroupSchema = z.strictObject({
  /** Members; a user is in at most one group. `public` takes everyone in no other group, so it lists no one. */
  users: userListField().default([]),
  /** AMQ Interconnect user group remoteHosts: where members may connect from. Absent: anywhere. */
  remoteHosts: hostListField().optional(),
  /** Live subscriptions per connection (SwiftMQ max-consumers); the listener's maxSubscriptionsPerConnection still applies. */
  maxSubscriptions: integerField(1, 1_000_000).optional(),
  /** Distinct topics one connection may publish to per second (SwiftMQ max-producers, for a broker without producer objects). */
  maxPublishTopicsPerSecond: integerField(1, 1_000_000).optional(),
  /** Largest message a connection may publish, in bytes (native: the publish frame; MQTT: the PUBLISH payload). */
  maxMessageBytes: integerField(1, 256 * 1024 * KiB).optional(),
  /** AMQ Interconnect's memory limit (maxSessionWindow): bytes queued towards the connection before it is closed as a slow consumer. */
  maxQueuedBytes: integerField(1 * KiB, 1 * GiB).optional(),
});

const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const GROUP_NAME_FORM = 'a group name of 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit';

export const limitsSchema = z
  .record(z.string(), limitGroupSchema, { error: 'expected a mapping of group names to resource-limit groups' })
  .superRefine((groups, ctx) => {
    const groupOf = new Map<string, string>();
    for (const [name, group] of Object.entries(groups)) {
      if (!GROUP_NAME.test(name) || name.length > 64)
        ctx.addIssue({ code: 'custom', path: [name], input: name, message: `expected ${GROUP_NAME_FORM}` });
      if (name === DEFAULT_LIMIT_GROUP && group.users.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: [name, 'users'],
          input: group.users,
          message: `expected no users: ${DEFAULT_LIMIT_GROUP} is for users in no other group`,
        });
      }
      group.users.forEach((user, index) => {
        const other = groupOf.get(user);
        // SwiftMQ: "A user is assigned to exactly one group"; AMQ Interconnect: "A user may belong to only one vhost user group."
        if (other !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [name, 'users', index],
            input: user,
            message: `expected a user in no other group (limits.${other} has it)`,
          });
        else groupOf.set(user, name);
      });
    }
  })
  // `public` always exists, so every user has a group.
  .transform((groups) =>
    Object.hasOwn(groups, DEFAULT_LIMIT_GROUP) ? groups : { ...groups, [DEFAULT_LIMIT_GROUP]: { users: [] } },
  )
  .prefault({ [DEFAULT_LIMIT_GROUP]: {} });

export type AdmissionConfig = z.output<typeof admissionSchema>;
export type UserLimitsConfig = AdmissionConfig['userLimits'];
export type LimitsConfig = z.output<typeof limitsSchema>;
export type LimitGroupConfig = z.output<typeof limitGroupSchema>;
