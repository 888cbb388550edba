// The body of POST /admin/explain, checked strictly: each mistake gets a 400 that says which
// field is wrong and what was expected, since an explanation of the wrong question misleads.
import type { ExplainQuestion } from '../security/explanation.js';
import { badRequest } from './admin-http-error.js';

/** Every field the body may have (admin-routes' objectBody refuses the others). */
export const EXPLAIN_FIELDS = ['user', 'action', 'topic', 'path', 'listener'] as const;

const ACTIONS = ['logon', 'read', 'write', 'admin'] as const;
type ExplainAction = (typeof ACTIONS)[number];

/** What the admin listener asks the module for an endpoint (read for GET, write for POST), or undefined for no endpoint. */
export type EndpointAction = (path: string) => 'read' | 'write' | undefined;

const quoted = (value: string): string => JSON.stringify(value.slice(0, 64));

function isAction(value: unknown): value is ExplainAction {
  return typeof value === 'string' && (ACTIONS as readonly string[]).includes(value);
}

function absent(fields: Record<string, unknown>, key: string, why: string): void {
  if (fields[key] !== undefined)
    throw badRequest(`"${key}" does not go with action "${String(fields.action)}": ${why}`);
}

function nonEmpty(fields: Record<string, unknown>, key: string, what: string): string {
  const value = fields[key];
  if (value === undefined) throw badRequest(`"${key}" is required with action "${String(fields.action)}": ${what}`);
  if (typeof value !== 'string' || value === '') throw badRequest(`"${key}" must be a non-empty string: ${what}`);
  return value;
}

function concreteTopic(fields: Record<string, unknown>): string {
  const topic = nonEmpty(fields, 'topic', 'the topic to read or write');
  // Wildcard and regex subscriptions are entitled per concrete topic, so a pattern is never asked.
  if (/[+#\u0000]/.test(topic))
    throw badRequest(`"topic" must be a concrete topic, without "+", "#" or NUL; got ${quoted(topic)}`);
  return topic;
}

/** The question in `fields` (an object with no fields but EXPLAIN_FIELDS). */
export function explainQuestion(fields: Record<string, unknown>, endpointAction: EndpointAction): ExplainQuestion {
  const { user, action, listener } = fields;
  if (user === undefined) throw badRequest('"user" is required: the user whose entitlement to explain');
  // "" is a real identity: the user of an implicit logon.
  if (typeof user !== 'string') throw badRequest('"user" must be a string (the identity, "" after an implicit logon)');
  if (action === undefined) throw badRequest(`"action" is required: one of ${ACTIONS.join(', ')}`);
  if (!isAction(action))
    throw badRequest(
      `"action" must be one of ${ACTIONS.join(', ')}; got ${typeof action === 'string' ? quoted(action) : typeof action}`,
    );
  if (listener !== undefined && (typeof listener !== 'string' || listener === ''))
    throw badRequest('"listener" must be a non-empty string: the name of a configured listener');
  const listenerName = listener as string | undefined;
  switch (action) {
    case 'logon':
      absent(fields, 'topic', 'logon has no resource');
      absent(fields, 'path', 'logon has no resource');
      return { user, action, listener: listenerName };
    case 'read':
    case 'write':
      absent(fields, 'path', 'paths are for action "admin"; give "topic"');
      return { user, action, topic: concreteTopic(fields), listener: listenerName };
    case 'admin': {
      absent(fields, 'topic', 'topics are for read and write; give "path"');
      absent(fields, 'listener', "admin requests are entitled by the admin listener's module (admin.entitlement)");
      const path = nonEmpty(fields, 'path', 'an admin endpoint path, e.g. /admin/entitlements/reset');
      const method = endpointAction(path);
      if (method === undefined)
        throw badRequest(
          `"path" ${quoted(path)} is not an admin endpoint (paths match exactly, e.g. /admin/entitlements)`,
        );
      return { user, action, path, method };
    }
  }
}
