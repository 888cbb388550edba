// One vhost policy (AMQ Interconnect security guide, 7.2.3 "Vhost Policies"), in Warden's terms:
// connection limits, allowUnknownUser, and user groups with the remote hosts they may connect
// from, the topics they may read (`sources`) and write (`targets`), the filter and select list
// those come with, and per-connection limits. Validated strictly; patterns, filters and select
// lists are compiled here, so a bad one is a load error with its key path (docs/vhosts.md).
import { z } from 'zod';
import { booleanField, integerField } from '../config/fields.js';
import { moduleSpecSchema } from '../config/module-spec-schema.js';
import { FILTER_SYNTAXES, type FilterSyntax } from '../content/filter/index.js';
import { hostPatternProblem } from '../security/authentication/host-access.js';
import { patternField } from '../security/entitlement/pattern-field.js';
import { checkContentRules, DEFAULT_GROUP } from '../security/entitlement/policy-schema.js';
import { canonicalVhostName } from './vhost-names.js';

export { DEFAULT_GROUP };

/** The router's default (and maximum) for each connection limit. */
export const DEFAULT_CONNECTION_LIMIT = 65535;

/** The largest per-group limits accepted: a message size in bytes, a subscription count. */
const MAX_MESSAGE_SIZE = 2 ** 31 - 1;
const MAX_SUBSCRIPTIONS = 1_000_000;

const GROUP_NAME_FORM = 'a group name: not empty, no "/", "+" or "#", and only "$default" may start with "$"';

function isGroupName(name: string): boolean {
  if (name === DEFAULT_GROUP) return true;
  return name !== '' && !name.startsWith('$') && !name.includes('/') && !name.includes('+') && !name.includes('#');
}

/**
 * A list, or the router's spelling of one: a comma-separated string (`"sources": "a, b"`,
 * `remoteHosts: 127.0.0.1, ::1`). An empty string is the empty list ("leave it blank").
 */
function listOf<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((part) => part.trim())
            .filter((part) => part !== '')
        : value,
    z.array(item, { error: 'expected a list (or a comma-separated string)' }),
  );
}

/** `${user}` is bound per user, `${vhost}` to the vhost's name; `${group}` is not needed (one group per user). */
const topicPattern = patternField(['user', 'vhost']);

const remoteHost = z.string().superRefine((text, ctx) => {
  const problem = hostPatternProblem(text);
  if (problem !== undefined)
    ctx.addIssue({ code: 'custom', message: `expected a remote host (${problem})`, input: text });
});

function groupSchemaFor(defaultSyntax: FilterSyntax) {
  return z
    .strictObject({
      users: listOf(z.string().min(1, { error: 'expected a user name' })).default([]),
      /** Where members may connect from: "*" any host; absent or empty, no host (as the router's blank). */
      remoteHosts: listOf(remoteHost).default([]),
      /** Topic patterns members may read (subscribe to); absent or empty, none. */
      sources: listOf(topicPattern).default([]),
      /** Topic patterns members may write (publish to); absent or empty, none. */
      targets: listOf(topicPattern).default([]),
      filter: z.string().optional(),
      filterSyntax: z.enum(FILTER_SYNTAXES, { error: 'expected jsonata or amps' }).optional(),
      select: z.string().optional(),
      /** Bytes; absent, the broker's own limit alone applies. */
      maxMessageSize: integerField(1, MAX_MESSAGE_SIZE).optional(),
      /** Per connection; absent, the broker's own limit alone applies. */
      maxSubscriptions: integerField(1, MAX_SUBSCRIPTIONS).optional(),
      /**
       * Whether members are the vhost's tenant admins: they may list and close its connections and
       * reset its entitlements. Default false, where the router's is true: admin rights are granted, not assumed.
       */
      allowAdminStatusUpdate: booleanField().default(false),
    })
    .superRefine((group, ctx) => checkContentRules(group, group.filterSyntax ?? defaultSyntax, ctx));
}

const limit = () => integerField(1, DEFAULT_CONNECTION_LIMIT).default(DEFAULT_CONNECTION_LIMIT);

function buildVhostPolicySchema(defaultSyntax: FilterSyntax) {
  const groupSchema = groupSchemaFor(defaultSyntax);
  return z
    .strictObject({
      /** A host name, an IP address, a name pattern (`*.example.com`) or `$default`. */
      hostname: z.string({ error: 'expected a host name or a name pattern' }),
      maxConnections: limit(),
      maxConnectionsPerUser: limit(),
      maxConnectionsPerHost: limit(),
      /** Users in no group: true gives them the $default group; false refuses them. */
      allowUnknownUser: booleanField().default(false),
      /**
       * The vhost's own authentication module (its own users file, say); absent, the listener's or
       * the broker's. Relative paths in its options resolve against the config file's directory.
       */
      authentication: moduleSpecSchema.optional(),
      groups: z
        .unknown()
        .superRefine((groups, ctx) => {
          // A `__proto__` key would not survive parsing into a plain object.
          if (typeof groups === 'object' && groups !== null && Object.hasOwn(groups, '__proto__'))
            ctx.addIssue({
              code: 'custom',
              path: ['__proto__'],
              input: '__proto__',
              message: `expected ${GROUP_NAME_FORM}`,
            });
        })
        .pipe(z.record(z.string(), groupSchema, { error: 'expected a mapping of group names to groups' }))
        .default({}),
    })
    .superRefine(checkVhostPolicy);
}

/** Name patterns are accepted here; whether they are on is checked when the names are compiled. */
function checkVhostPolicy(
  policy: {
    readonly hostname: string;
    readonly groups: Readonly<Record<string, { readonly users: readonly string[] }>>;
  },
  ctx: z.RefinementCtx,
): void {
  try {
    canonicalVhostName(policy.hostname, true);
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      path: ['hostname'],
      input: policy.hostname,
      message: `expected ${(error as Error).message.replace(/^"[^"]*" is not /, '')}`,
    });
  }
  const groupOf = new Map<string, string>();
  for (const [name, group] of Object.entries(policy.groups)) {
    if (!isGroupName(name)) {
      ctx.addIssue({ code: 'custom', path: ['groups', name], input: name, message: `expected ${GROUP_NAME_FORM}` });
    }
    if (name === DEFAULT_GROUP && group.users.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['groups', DEFAULT_GROUP, 'users'],
        input: group.users,
        message: 'expected no users: $default is for users in no group',
      });
      continue;
    }
    group.users.forEach((user, index) => {
      const earlier = groupOf.get(user);
      if (earlier === undefined) groupOf.set(user, name);
      else if (earlier !== name) {
        // AMQ Interconnect 7.2.3.2: "A user may belong to only one vhost user group."
        ctx.addIssue({
          code: 'custom',
          path: ['groups', name, 'users', index],
          input: user,
          message: `expected a user in one group only: "${user}" is in groups "${earlier}" and "${name}"`,
        });
      }
    });
  }
}

type VhostPolicySchema = ReturnType<typeof buildVhostPolicySchema>;
const schemas = new Map<FilterSyntax, VhostPolicySchema>();

/** The schema of one vhost policy; a group's filter without `filterSyntax` is in `defaultSyntax`. */
export function vhostPolicySchemaFor(defaultSyntax: FilterSyntax): VhostPolicySchema {
  let schema = schemas.get(defaultSyntax);
  if (schema === undefined) {
    schema = buildVhostPolicySchema(defaultSyntax);
    schemas.set(defaultSyntax, schema);
  }
  return schema;
}

export type VhostPolicyDefinition = z.output<VhostPolicySchema>;
export type VhostGroupDefinition = VhostPolicyDefinition['groups'][string];
