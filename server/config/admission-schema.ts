// The `admission` and `limits` sections: who may connect, from where, how many at once (seeds 000,
// 001, 002, 004), and the resource limits each connection gets from its user's group (seed 001's
// resource-limit groups, seed 000's memory limits). docs/admission.md is the prose version.
import { z } from 'zod';
import { parseHostPattern } from '../security/authentication/host-access.js';
import { booleanField, integerField } from './fields.js';

const KiB = 1024;
const GiB = 1024 * 1024 * KiB;

/** Seed 000: "The default (and the maximum) value is 65535." */
const MAX_CONNECTIONS = 65_535;

/** Wire protocols a listener can speak; `admission.protocols` lists the enabled ones (seed 002, "Protocol Control"). */
export const PROTOCOLS = ['native', 'mqtt'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** The group users in no other group belong to (seed 001: "There exists a resource limit group public which is used per default"). */
export const DEFAULT_LIMIT_GROUP = 'public';

const USER_FORM = 'a user name (at most 1024 characters)';
/** The empty name is allowed: it is the identity of an implicit logon (seed 003). */
const userField = () => z.string({ error: `expected ${USER_FORM}` }).max(1024, { error: `expected ${USER_FORM}` });

/** A list of user names, each at most once (a repeat is a likely copy-paste slip). */
const userListField = () =>
  z.array(userField(), { error: 'expected a list of user names' }).superRefine((users, ctx) => {
    const seen = new Set<string>();
    users.forEach((user, index) => {
      if (seen.has(user)) ctx.addIssue({ code: 'custom', path: [index], input: user, message: 'expected each user once in this list' });
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
      if (pattern.kind === 'hostname' || pattern.kind === 'domain') problem = `expected ${HOST_ENTRY_FORM} (host names are not supported in admission lists)`;
    } catch (err) {
      problem = `expected ${HOST_ENTRY_FORM}: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (problem !== undefined) ctx.addIssue({ code: 'custom', input: text, message: problem });
  });

/** Seeds 000 and 001: where a user (or a group's users) may connect from. An empty list allows no host. */
const hostListField = () => z.array(hostEntryField(), { error: `expected a list of host entries, each ${HOST_ENTRY_FORM}` });

/** Per-user concurrent connection limits: seed 004's tiers plus seed 002's per-user overrides. */
const userLimitsSchema = z
  .strictObject({
    /** Seed 004's verifier switch: off, no per-user limit applies (the tiers below are kept but unused). */
    enabled: booleanField().default(false),
    /** Seed 004 "non-privileged" limit: users in no tier and without an override. */
    default: integerField(1, MAX_CONNECTIONS).default(2),
    privileged: z
      .strictObject({
        users: userListField().default([]),
        limit: integerField(1, MAX_CONNECTIONS).default(3),
      })
      .prefault({}),
    /** Seed 004: no limit, even for a user also listed as privileged. */
    unlimited: userListField().default([]),
    /** Seed 002 `max-per-user-sessions guest1:1`: a user's own limit, over the default and the privileged tier. */
    users: z.record(userField(), integerField(1, MAX_CONNECTIONS), { error: 'expected a mapping of user names to connection limits' }).default({}),
  })
  .superRefine((limits, ctx) => {
    // Unlimited would silently win over an explicit number: make the operator choose.
    for (const user of limits.unlimited) {
      if (Object.hasOwn(limits.users, user)) {
        ctx.addIssue({ code: 'custom', path: ['users', user], input: limits.users[user], message: `expected no limit for "${user}", who is listed in unlimited` });
      }
    }
  });

/** Seed 000's connection storms: a token bucket per remote host, checked when a connection is accepted. */
const connectionRateSchema = z.strictObject({
  /** Tokens added per second; 0 disables the rate limit. On by default (issue 11): a NAT of a few hundred clients reconnecting at once does not reach it. */
  perSecond: integerField(0, 1_000_000).default(50),
  /** Bucket size: connections a host may open at once after being quiet. */
  burst: integerField(1, 1_000_000).default(200),
});

export const admissionSchema = z
  .strictObject({
    /** Seed 002 "Protocol Control": connections to a listener of a protocol not listed are closed at once. */
    protocols: z
      .array(z.enum(PROTOCOLS, { error: 'expected "native" or "mqtt"' }), { error: 'expected a list of protocols: native, mqtt' })
      .superRefine((protocols, ctx) => {
        if (new Set(protocols).size !== protocols.length) ctx.addIssue({ code: 'custom', input: protocols, message: 'expected each protocol once' });
      })
      .default([...PROTOCOLS]),
    /** Seed 000 policy maxConnections: admitted connections over every listener; always enforced. */
    maxConnections: integerField(1, MAX_CONNECTIONS).default(MAX_CONNECTIONS),
    /** Seed 000 maxConnectionsPerHost: admitted connections from one remote address. */
    maxConnectionsPerHost: integerField(1, MAX_CONNECTIONS).default(MAX_CONNECTIONS),
    /** Seed 002 --allowed-user: when set, only these users (and superusers) are admitted. Unset: everyone. */
    allowedUsers: userListField().optional(),
    /** Seed 002 --superuser: always passes allowedUsers; still subject to every limit. */
    superusers: userListField().default([]),
    userLimits: userLimitsSchema.prefault({}),
    /** Seed 001 host access lists, per user; a user's own list replaces its group's. */
    remoteHosts: z.record(userField(), hostListField(), { error: 'expected a mapping of user names to host lists' }).default({}),
    connectionRate: connectionRateSchema.prefault({}),
    /**
     * Connections not logged on yet (native: before its logon is accepted, WebSocket upgrade
     * included; MQTT: before CONNACK), over every listener; a socket over it is closed at once.
     */
    maxUnauthenticated: integerField(1, MAX_CONNECTIONS).default(1024),
    /** The same from one remote address, so one host cannot take every slot. */
    maxUnauthenticatedPerHost: integerField(1, MAX_CONNECTIONS).default(64),
  });

/** One resource-limit group (seed 001) with the remote hosts of seed 000's user groups. Absent limits: the listener's own. */
const limitGroupSchema = z.strictObject({
  /** Members; a user is in at most one group. `public` takes everyone in no other group, so it lists no one. */
  users: userListField().default([]),
  /** Seed 000 remoteHosts: where members may connect from. Absent: anywhere. */
  remoteHosts: hostListField().optional(),
  /** Live subscriptions per connection (seed 001 max-consumers); the listener's maxSubscriptionsPerConnection still applies. */
  maxSubscriptions: integerField(1, 1_000_000).optional(),
  /** Distinct topics one connection may publish to per second (seed 001 max-producers, for a broker without producer objects). */
  maxPublishTopicsPerSecond: integerField(1, 1_000_000).optional(),
  /** Largest message a connection may publish, in bytes (native: the publish frame; MQTT: the PUBLISH payload). */
  maxMessageBytes: integerField(1, 256 * 1024 * KiB).optional(),
  /** Seed 000 memory limit: bytes queued towards the connection before it is closed as a slow consumer. */
  maxQueuedBytes: integerField(1 * KiB, 1 * GiB).optional(),
});

const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const GROUP_NAME_FORM = 'a group name of 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit';

export const limitsSchema = z
  .record(z.string(), limitGroupSchema, { error: 'expected a mapping of group names to resource-limit groups' })
  .superRefine((groups, ctx) => {
    const groupOf = new Map<string, string>();
    for (const [name, group] of Object.entries(groups)) {
      if (!GROUP_NAME.test(name) || name.length > 64) ctx.addIssue({ code: 'custom', path: [name], input: name, message: `expected ${GROUP_NAME_FORM}` });
      if (name === DEFAULT_LIMIT_GROUP && group.users.length > 0) {
        ctx.addIssue({ code: 'custom', path: [name, 'users'], input: group.users, message: `expected no users: ${DEFAULT_LIMIT_GROUP} is for users in no other group` });
      }
      group.users.forEach((user, index) => {
        const other = groupOf.get(user);
        // Seed 001: "A user is assigned to exactly one group"; seed 000: "A user may belong to only one vhost user group."
        if (other !== undefined) ctx.addIssue({ code: 'custom', path: [name, 'users', index], input: user, message: `expected a user in no other group (limits.${other} has it)` });
        else groupOf.set(user, name);
      });
    }
  })
  // `public` always exists, so every user has a group.
  .transform((groups) => (Object.hasOwn(groups, DEFAULT_LIMIT_GROUP) ? groups : { ...groups, [DEFAULT_LIMIT_GROUP]: { users: [] } }))
  .prefault({ [DEFAULT_LIMIT_GROUP]: {} });

export type AdmissionConfig = z.output<typeof admissionSchema>;
export type UserLimitsConfig = AdmissionConfig['userLimits'];
export type LimitsConfig = z.output<typeof limitsSchema>;
export type LimitGroupConfig = z.output<typeof limitGroupSchema>;
