// Where `warden admin` sends its request: --url, else the config's admin.host/admin.port (whose
// defaults give http://127.0.0.1:8801). Resolved to a base URL that endpoint paths are appended to.
import { ConfigError, loadConfigFile, resolveConfigPath, type WardenConfig } from '../config/index.js';
import type { AdminConfig } from '../config/schema.js';
import { CliError, usageError } from './cli-error.js';

/** The admin section fields this needs (admin.host defaults to 127.0.0.1, admin.port to 8801). */
export type AdminAddress = Pick<AdminConfig, 'enabled' | 'host' | 'port'>;

/** A listener bound to every interface is reached locally through loopback. */
function connectableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host;
}

/** The base URL of the admin listener a config's admin section describes; `source` names the config in errors. */
export function adminUrlFromConfig(admin: AdminAddress, source: string): string {
  if (!admin.enabled)
    throw new CliError(`the admin listener is disabled in ${source} (admin.enabled: false); enable it, or pass --url`);
  // Port 0 is chosen by the OS at startup, so only the broker's log knows it.
  if (admin.port === 0)
    throw new CliError(`admin.port is 0 in ${source}, so the port is only known at startup: pass --url`);
  const host = connectableHost(admin.host);
  return `http://${host.includes(':') ? `[${host}]` : host}:${admin.port}`;
}

/** `text` checked as an admin base URL: http(s), no credentials (they belong in the environment), no query. */
export function parseAdminUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`--url ${JSON.stringify(text)} is not a URL (expected e.g. http://127.0.0.1:8801)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw usageError(`--url must be an http: or https: URL, not ${url.protocol}`);
  if (url.username !== '' || url.password !== '') {
    throw usageError(
      '--url must not contain credentials: set WARDEN_ADMIN_USER and WARDEN_ADMIN_PASSWORD, or WARDEN_ADMIN_TOKEN',
    );
  }
  if (url.search !== '' || url.hash !== '') throw usageError('--url must not have a query or fragment');
  return url;
}

/** The admin listener's base URL: --url, else the admin section of the config (--config, $WARDEN_CONFIG or the embedded default). */
export function resolveAdminUrl(
  flags: { url?: string | undefined; config?: string | undefined },
  env: NodeJS.ProcessEnv,
): URL {
  if (flags.url !== undefined) return parseAdminUrl(flags.url);
  const path = resolveConfigPath(flags.config, env);
  let config: WardenConfig;
  try {
    config = loadConfigFile(path, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      // The whole config must load to read two keys; --url avoids it (e.g. secrets only the broker can read).
      throw new CliError(`cannot take the admin address from the config (or pass --url):\n${err.message}`);
    }
    throw err;
  }
  return new URL(adminUrlFromConfig(config.admin, path));
}

/** `base` with an endpoint path appended (keeping any path prefix of a reverse proxy). */
export function endpointUrl(base: URL, path: string): URL {
  const url = new URL(base);
  const queryAt = path.indexOf('?');
  url.pathname = `${base.pathname.replace(/\/+$/, '')}${queryAt < 0 ? path : path.slice(0, queryAt)}`;
  url.search = queryAt < 0 ? '' : path.slice(queryAt);
  return url;
}
