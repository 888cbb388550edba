// `warden admin explain --user U --action A [--topic T | --path P] [--listener L]`: the flags as
// the body of POST /admin/explain. Only what a flag parser can know is checked here; the broker
// checks the combinations (a topic with admin, a path with read...) and says what is wrong.
import type { ExplainRequestBody } from '../admin/admin-api.js';
import { usageError } from './cli-error.js';

export interface ExplainFlags {
  readonly user?: string | undefined;
  readonly action?: string | undefined;
  readonly topic?: string | undefined;
  readonly path?: string | undefined;
  readonly listener?: string | undefined;
}

const ACTIONS: readonly ExplainRequestBody['action'][] = ['logon', 'read', 'write', 'admin'];
/** Flags that mean nothing to the other commands. */
const EXPLAIN_ONLY = ['action', 'topic', 'path'] as const;

function isAction(value: string): value is ExplainRequestBody['action'] {
  return (ACTIONS as readonly string[]).includes(value);
}

/** A usage error for a flag of explain (and invalidate) given to another command. */
export function refuseExplainFlags(subcommand: string, flags: ExplainFlags): void {
  const stray = EXPLAIN_ONLY.find((flag) => flags[flag] !== undefined);
  if (stray !== undefined) throw usageError(`--${stray} only goes with explain and invalidate, not ${subcommand}`);
}

/** `invalidate --user U [--action A] [--topic T | --path P]`: the body of POST /admin/entitlements/invalidate. */
export function invalidateBody(flags: ExplainFlags): { user: string; action?: string; resource?: string } {
  const { user, action, topic, path } = flags;
  if (user === undefined) throw usageError('invalidate needs --user NAME: the user whose answers to forget');
  if (action !== undefined && !isAction(action))
    throw usageError(`--action must be one of ${ACTIONS.join(', ')}, not ${JSON.stringify(action)}`);
  if (topic !== undefined && path !== undefined) throw usageError('invalidate takes --topic or --path, not both');
  const resource = topic ?? path;
  return { user, ...(action !== undefined ? { action } : {}), ...(resource !== undefined ? { resource } : {}) };
}

export function explainBody(flags: ExplainFlags): ExplainRequestBody {
  const { user, action, topic, path, listener } = flags;
  if (user === undefined) throw usageError('explain needs --user NAME: the user whose entitlement to explain');
  if (action === undefined) throw usageError(`explain needs --action, one of ${ACTIONS.join(', ')}`);
  if (!isAction(action))
    throw usageError(`--action must be one of ${ACTIONS.join(', ')}, not ${JSON.stringify(action)}`);
  return {
    user,
    action,
    ...(topic !== undefined ? { topic } : {}),
    ...(path !== undefined ? { path } : {}),
    ...(listener !== undefined ? { listener } : {}),
  };
}
