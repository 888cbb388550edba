// `simple-access`: the same topic restrictions for every user (like AMPS's simple access module).
// Per action, a deny list beats an allow list; an allow list, when given, must match; no lists
// allow everything. Logon is always allowed; admin requests follow the `admin` option.
import { z } from 'zod';
import type {
  EntitlementAnswer,
  EntitlementModule,
  EntitlementModuleFactory,
  EntitlementRequest,
} from '../module-types.js';
import { parseModuleOptions } from '../module-options.js';
import { ALLOW, denyAnswer } from './answers.js';
import { patternField } from './pattern-field.js';
import { requestKind } from './request-kind.js';
import type { TopicMatcher } from './topic-matcher.js';
import type { TopicPattern } from './topic-pattern.js';

/** No placeholders: the rules are the same for every user. */
const pattern = patternField([]);

const accessListSchema = z
  .strictObject({
    allow: z.array(pattern).optional(),
    deny: z.array(pattern).default([]),
  })
  .prefault({});

const optionsSchema = z.strictObject({
  read: accessListSchema,
  write: accessListSchema,
  admin: z.enum(['allow', 'deny']).default('deny'),
});

const UNSUPPORTED = denyAnswer('unsupported request');
const ADMIN_DENIED = denyAnswer('admin requests are denied (simple-access option admin: deny)');

class TopicAccessList {
  private readonly allow: readonly TopicMatcher[] | undefined;
  private readonly deny: readonly TopicMatcher[];
  private readonly denied: EntitlementAnswer;
  private readonly notAllowed: EntitlementAnswer;

  constructor(action: 'read' | 'write', lists: { allow?: TopicPattern[]; deny: TopicPattern[] }) {
    this.allow = lists.allow?.map(fixedMatcher);
    this.deny = lists.deny.map(fixedMatcher);
    this.denied = denyAnswer(`topic is in the ${action}.deny list`);
    this.notAllowed = denyAnswer(`topic is not in the ${action}.allow list`);
  }

  decide(topic: string): EntitlementAnswer {
    for (const matcher of this.deny) if (matcher.matches(topic)) return this.denied;
    if (this.allow === undefined) return ALLOW;
    for (const matcher of this.allow) if (matcher.matches(topic)) return ALLOW;
    return this.notAllowed;
  }
}

function fixedMatcher(pattern: TopicPattern): TopicMatcher {
  // Placeholders are rejected by the schema, so every pattern is already compiled.
  if (pattern.kind !== 'fixed') throw new Error(`internal: pattern ${pattern.source} has placeholders`);
  return pattern.matcher;
}

export const createSimpleAccessEntitlement: EntitlementModuleFactory = (options, context): EntitlementModule => {
  const parsed = parseModuleOptions(optionsSchema, options, context);
  const read = new TopicAccessList('read', parsed.read);
  const write = new TopicAccessList('write', parsed.write);
  const admin = parsed.admin === 'allow' ? ALLOW : ADMIN_DENIED;
  return {
    name: 'simple-access',
    check(request: EntitlementRequest): EntitlementAnswer {
      switch (requestKind(request)) {
        case 'logon':
          return ALLOW;
        case 'read':
          return read.decide(request.resource);
        case 'write':
          return write.decide(request.resource);
        case 'admin':
          return admin;
        default:
          return UNSUPPORTED;
      }
    },
  };
};
