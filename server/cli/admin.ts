// `warden admin <status | reset | disable | enable | shadow | promote-shadow | reload-tls | admission
// | connections | connection | kick | cluster | explain | reload | history>`: one request to the admin HTTP listener; the JSON answer goes
// to stdout, a refusal to stderr with an exit status saying which kind.
import { parseArgs } from 'node:util';
import { ADMIN_PATHS, type AdminErrorBody } from '../admin/admin-api.js';
import { RESET_MODES } from '../config/index.js';
import { adminAuthorization } from './admin-authorization.js';
import { requestAdmin, type AdminHttpAnswer } from './admin-request.js';
import { endpointUrl, resolveAdminUrl } from './admin-target.js';
import { CliError, usageError } from './cli-error.js';
import { EXIT } from './exit-codes.js';
import { explainBody, invalidateBody, refuseExplainFlags, type ExplainFlags } from './explain-call.js';
import { ENTITLEMENT_RESET_MODES } from '../admin/admin-actions.js';
import { ADMIN_HELP } from './help.js';

interface AdminCall {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** With its query string, if any. */
  readonly path: string;
  readonly body?: object;
}

const SUBCOMMANDS = [
  'status',
  'reset',
  'disable',
  'enable',
  'shadow',
  'promote-shadow',
  'reload-tls',
  'admission',
  'connections',
  'connection',
  'kick',
  'cluster',
  'explain',
  'reload',
  'history',
  'invalidate',
  'vhosts',
] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

function isSubcommand(name: string): name is Subcommand {
  return (SUBCOMMANDS as readonly string[]).includes(name);
}

/** The commands that take --vhost (docs/vhosts.md#admin); the others are broker-wide. */
const VHOST_COMMANDS: readonly Subcommand[] = [
  'status',
  'reset',
  'connections',
  'connection',
  'kick',
  'explain',
  'vhosts',
];

/** `call` about one vhost: `?vhost=NAME` added to its path. */
function inVhost(call: AdminCall, subcommand: Subcommand, vhost: string | undefined): AdminCall {
  if (vhost === undefined) return call;
  if (!VHOST_COMMANDS.includes(subcommand))
    throw usageError(`--vhost only goes with ${VHOST_COMMANDS.join(', ')}, not ${subcommand}`);
  if (vhost === '') throw usageError('--vhost needs a vhost name');
  const separator = call.path.includes('?') ? '&' : '?';
  return { ...call, path: `${call.path}${separator}vhost=${encodeURIComponent(vhost)}` };
}

/** What the connections filters and pages of the command line ask for. */
interface ConnectionOptions {
  readonly user?: string;
  readonly host?: string;
  readonly listener?: string;
  readonly protocol?: string;
  readonly limit?: string;
  readonly after?: string;
}

const CONNECTION_OPTIONS = ['host', 'listener', 'protocol', 'limit', 'after'] as const;
/** Options that more than connections take. */
const SHARED_OPTIONS: Readonly<Partial<Record<(typeof CONNECTION_OPTIONS)[number], readonly Subcommand[]>>> = {
  listener: ['connections', 'explain'],
  limit: ['connections', 'history'],
};
const USER_COMMANDS: readonly Subcommand[] = ['reset', 'connections', 'kick', 'explain', 'invalidate'];

function takersOf(option: (typeof CONNECTION_OPTIONS)[number]): readonly Subcommand[] {
  return SHARED_OPTIONS[option] ?? ['connections'];
}

function withQuery(path: string, params: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) query.set(key, value);
  const text = query.toString();
  return text === '' ? path : `${path}?${text}`;
}

function callFor(
  subcommand: Subcommand,
  options: ConnectionOptions &
    ExplainFlags & { readonly reset?: string | undefined; readonly mode?: string | undefined },
  id: string | undefined,
): AdminCall {
  const { user, reset, mode } = options;
  if (reset !== undefined && subcommand !== 'reload')
    throw usageError(`--reset only goes with reload, not ${subcommand}`);
  if (mode !== undefined && subcommand !== 'reset') throw usageError(`--mode only goes with reset, not ${subcommand}`);
  if (subcommand === 'invalidate') {
    if (id !== undefined) throw usageError(`unexpected argument ${JSON.stringify(id)} after invalidate`);
    for (const name of CONNECTION_OPTIONS)
      if (options[name] !== undefined)
        throw usageError(`--${name} only goes with ${takersOf(name).join(' and ')}, not invalidate`);
    return { method: 'POST', path: ADMIN_PATHS.invalidate, body: invalidateBody(options) };
  }
  if (subcommand === 'explain') {
    if (id !== undefined) throw usageError(`unexpected argument ${JSON.stringify(id)} after explain`);
    for (const name of CONNECTION_OPTIONS)
      if (name !== 'listener' && options[name] !== undefined)
        throw usageError(`--${name} only goes with ${takersOf(name).join(' and ')}, not explain`);
    return { method: 'POST', path: ADMIN_PATHS.explain, body: explainBody(options) };
  }
  refuseExplainFlags(subcommand, options);
  if (user !== undefined && !USER_COMMANDS.includes(subcommand))
    throw usageError(`--user only goes with ${USER_COMMANDS.join(', ')}, not ${subcommand}`);
  if (user === '') throw usageError('--user needs a user name');
  for (const name of CONNECTION_OPTIONS) {
    const takers = takersOf(name);
    if (options[name] !== undefined && !takers.includes(subcommand))
      throw usageError(`--${name} only goes with ${takers.join(' and ')}, not ${subcommand}`);
  }
  if (id !== undefined && subcommand !== 'kick' && subcommand !== 'connection')
    throw usageError(`unexpected argument ${JSON.stringify(id)} after ${subcommand}`);
  switch (subcommand) {
    case 'status':
      return { method: 'GET', path: ADMIN_PATHS.status };
    case 'reset': {
      if (mode !== undefined && !(ENTITLEMENT_RESET_MODES as readonly string[]).includes(mode))
        throw usageError(`--mode expects ${ENTITLEMENT_RESET_MODES.join(' or ')}, not ${JSON.stringify(mode)}`);
      const body = { ...(user !== undefined ? { user } : {}), ...(mode !== undefined ? { mode } : {}) };
      return Object.keys(body).length === 0
        ? { method: 'POST', path: ADMIN_PATHS.reset }
        : { method: 'POST', path: ADMIN_PATHS.reset, body };
    }
    case 'disable':
      return { method: 'POST', path: ADMIN_PATHS.disable };
    case 'enable':
      return { method: 'POST', path: ADMIN_PATHS.enable };
    case 'shadow':
      return { method: 'GET', path: ADMIN_PATHS.shadow };
    case 'promote-shadow':
      return { method: 'POST', path: ADMIN_PATHS.promoteShadow };
    case 'reload-tls':
      return { method: 'POST', path: ADMIN_PATHS.tlsReload };
    case 'admission':
      return { method: 'GET', path: ADMIN_PATHS.admission };
    case 'connections':
      return {
        method: 'GET',
        path: withQuery(ADMIN_PATHS.connections, {
          user,
          host: options.host,
          listener: options.listener,
          protocol: options.protocol,
          limit: options.limit,
          after: options.after,
        }),
      };
    case 'connection':
      if (id === undefined)
        throw usageError('which connection? warden admin connection ID (ids are in warden admin connections)');
      return { method: 'GET', path: `${ADMIN_PATHS.connections}/${encodeURIComponent(id)}` };
    case 'kick':
      if ((id === undefined) === (user === undefined))
        throw usageError('kick takes a connection ID or --user NAME (one of the two)');
      return id !== undefined
        ? { method: 'DELETE', path: `${ADMIN_PATHS.connections}/${encodeURIComponent(id)}` }
        : { method: 'DELETE', path: withQuery(ADMIN_PATHS.connections, { user }) };
    case 'cluster':
      return { method: 'GET', path: ADMIN_PATHS.cluster };
    case 'vhosts':
      return { method: 'GET', path: ADMIN_PATHS.vhosts };
    case 'history':
      return { method: 'GET', path: withQuery(ADMIN_PATHS.audit, { limit: options.limit }) };
    case 'reload':
      if (reset === undefined) return { method: 'POST', path: ADMIN_PATHS.reload };
      if (!(RESET_MODES as readonly string[]).includes(reset))
        throw usageError(`--reset expects ${RESET_MODES.join(' or ')}, not ${JSON.stringify(reset)}`);
      return { method: 'POST', path: ADMIN_PATHS.reload, body: { reset } };
  }
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: {
        user: { type: 'string' },
        host: { type: 'string' },
        listener: { type: 'string' },
        protocol: { type: 'string' },
        limit: { type: 'string' },
        after: { type: 'string' },
        action: { type: 'string' },
        topic: { type: 'string' },
        path: { type: 'string' },
        reset: { type: 'string' },
        mode: { type: 'string' },
        vhost: { type: 'string' },
        url: { type: 'string' },
        config: { type: 'string', short: 'c' },
        'user-name': { type: 'string' },
        'password-env': { type: 'string' },
        'token-env': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw usageError(`${(err as Error).message} (see warden admin --help)`);
  }
}

export async function runAdmin(argv: readonly string[]): Promise<number> {
  const args = parse(argv);
  if (args.values.help) {
    process.stdout.write(ADMIN_HELP);
    return EXIT.OK;
  }
  const [name, ...extra] = args.positionals;
  if (name === undefined)
    throw usageError(`which command? One of: ${SUBCOMMANDS.join(', ')} (see warden admin --help)`);
  if (!isSubcommand(name))
    throw usageError(`unknown admin command ${JSON.stringify(name)}; one of: ${SUBCOMMANDS.join(', ')}`);
  if (extra.length > 1) throw usageError(`unexpected argument ${JSON.stringify(extra[1])} after ${name}`);

  const call = inVhost(callFor(name, args.values, extra[0]), name, args.values.vhost);
  // Credentials before the URL: a missing variable is the likelier mistake, and needs no config.
  const authorization = adminAuthorization(
    {
      userName: args.values['user-name'],
      passwordEnv: args.values['password-env'],
      tokenEnv: args.values['token-env'],
    },
    process.env,
  );
  const url = endpointUrl(
    resolveAdminUrl({ url: args.values.url, config: args.values.config }, process.env),
    call.path,
  );
  const answer = await requestAdmin(url, call.method, authorization, call.body);
  if (answer.status !== 200) throw refusal(url, answer);
  if (answer.json === undefined)
    throw new CliError(`${url.href} answered HTTP 200 without a JSON body: is that the Warden admin listener?`);
  process.stdout.write(`${JSON.stringify(answer.json, null, 2)}\n`);
  return name === 'reload' ? reloadOutcome(answer.json) : partialFailure(answer.json);
}

/** A reload that applied nothing (a change needing a restart, an invalid config) did not do what was asked: exit 1. */
function reloadOutcome(json: unknown): number {
  if (typeof json === 'object' && json !== null && 'applied' in json && json.applied === true) return EXIT.OK;
  const why =
    typeof json === 'object' && json !== null && 'error' in json
      ? 'the new config is not valid (see "error")'
      : 'some changes need a restart (see "refused")';
  process.stderr.write(`warden admin: the config was not reloaded: ${why}; the broker runs on as it was\n`);
  return EXIT.FAILURE;
}

/** A TLS reload where some profile kept its old certificate did not do what was asked: exit 1, saying so. */
function partialFailure(json: unknown): number {
  const failed =
    typeof json === 'object' && json !== null && 'failed' in json && typeof json.failed === 'number' ? json.failed : 0;
  if (failed === 0) return EXIT.OK;
  process.stderr.write(
    `warden admin: ${failed} TLS profile${failed === 1 ? '' : 's'} kept the previous certificate (see "error" in the answer and the broker log)\n`,
  );
  return EXIT.FAILURE;
}

function errorBody(json: unknown): AdminErrorBody['error'] | undefined {
  if (typeof json !== 'object' || json === null || !('error' in json)) return undefined;
  const { error } = json;
  if (typeof error !== 'object' || error === null || !('code' in error) || !('message' in error)) return undefined;
  return typeof error.code === 'string' && typeof error.message === 'string'
    ? (error as AdminErrorBody['error'])
    : undefined;
}

/** 401 and 403 get their own exit status, so scripts can tell "wrong credentials or rights" from "broken". */
function refusal(url: URL, answer: AdminHttpAnswer): CliError {
  const error = errorBody(answer.json);
  const status = `HTTP ${answer.status}${error === undefined ? (answer.statusText === '' ? '' : ` ${answer.statusText}`) : ` ${error.code}`}`;
  const message = error === undefined ? `${url.href} answered ${status}` : `${error.message} (${status})`;
  return new CliError(message, answer.status === 401 || answer.status === 403 ? EXIT.REFUSED : EXIT.FAILURE);
}
