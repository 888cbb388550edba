// Which entry of a vhost policy decided an answer, in the shape the policy module's explain gives
// (ExplainedRule, docs/admin.md#explain), so `warden admin explain` reads the same for both: the
// entry's key path in the policy (`groups.developers.sources[0]`), its group, and the entry as
// written, as JSON. Only the admin's `explain` calls this; checks never do.
import { formatKeyPath } from '../config/key-path.js';
import { requestKind } from '../security/entitlement/request-kind.js';
import type { EntitlementAnswer, EntitlementRequest, ExplainedRule } from '../security/module-types.js';
import type { PreparedVhostGroup, VhostUserRules } from './vhost-policy-rules.js';
import { DEFAULT_GROUP } from './vhost-policy-schema.js';

/**
 * The entry behind `answer` (what check() gives for `request` with `rules`), or null when none
 * decided: a denial for a user in no group, a topic no pattern matches, an admin path outside the
 * vhost. `hasDefaultGroup`: the policy has a `$default` group (without one, unknown users allowed
 * by `allowUnknownUser` are in no group the policy writes).
 */
export function explainVhostAnswer(
  rules: VhostUserRules,
  request: EntitlementRequest,
  answer: EntitlementAnswer,
  hasDefaultGroup: boolean,
): ExplainedRule | null {
  const group = rules.group;
  if (group === null) return null;
  const written = group.name !== DEFAULT_GROUP || hasDefaultGroup;
  switch (requestKind(request)) {
    case 'logon':
      if (!answer.allow) return null;
      if (rules.member === null) return unknownUserRule(written ? group.name : undefined);
      return entry(group, 'users', rules.member, group.definition.users[rules.member], { user: request.user });
    case 'read':
      return answer.allow ? patternRule(group, 'sources', rules.read, rules.readFrom, request.resource) : null;
    case 'write':
      return answer.allow ? patternRule(group, 'targets', rules.write, rules.writeFrom, request.resource) : null;
    case 'admin':
      // Allowed by the key, or denied by it (false); any other denial is the path's, outside the vhost.
      if (!written || (!answer.allow && group.allowAdminStatusUpdate)) return null;
      return {
        effect: answer.allow ? 'grant' : 'deny',
        location: formatKeyPath(['groups', group.name, 'allowAdminStatusUpdate']),
        group: group.name,
        index: 0,
        text: JSON.stringify(group.allowAdminStatusUpdate),
      };
    default:
      return null;
  }
}

/** The first of the user's matchers that matches, named by its pattern in the group's list. */
function patternRule(
  group: PreparedVhostGroup,
  list: 'sources' | 'targets',
  matchers: VhostUserRules['read'],
  from: readonly number[],
  topic: string,
): ExplainedRule | null {
  const i = matchers.findIndex((matcher) => matcher.matches(topic));
  if (i < 0) return null;
  const index = from[i];
  const pattern = group.definition[list][index].source;
  return entry(group, list, index, pattern, { pattern });
}

function entry(
  group: PreparedVhostGroup,
  list: 'users' | 'sources' | 'targets',
  index: number,
  value: string,
  extra: { readonly user?: string; readonly pattern?: string },
): ExplainedRule {
  return {
    effect: 'grant',
    location: formatKeyPath(['groups', group.name, list, index]),
    group: group.name,
    ...(extra.user !== undefined ? { user: extra.user } : {}),
    index,
    text: JSON.stringify(value),
    ...(extra.pattern !== undefined ? { pattern: extra.pattern } : {}),
  };
}

/** A user in no group logged on by `allowUnknownUser: true`, into `$default` when the policy has one. */
function unknownUserRule(group: string | undefined): ExplainedRule {
  return {
    effect: 'grant',
    location: 'allowUnknownUser',
    ...(group !== undefined ? { group } : {}),
    index: 0,
    text: 'true',
  };
}
