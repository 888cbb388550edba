// `vhosts`: several tenants on one broker, each the host name clients connect to, with its own
// topic namespace, policy and limits (docs/vhosts.md). Off by default; the policies themselves
// are validated when the broker starts (their filters are in content.filterSyntax by default, and
// a directory is read then), with errors that name the list entry or the file.
import { z } from 'zod';
import { booleanField, stringField } from './fields.js';

const HOST_FORM = 'a vhost name (a host name, a name pattern or $default)';
const vhostNameField = () => stringField(/^\S+$/, 253, HOST_FORM);

export const vhostsSchema = z.strictObject({
  enabled: booleanField().default(false),
  /** Vhost names may be patterns such as `*.example.com` (the router's enableVhostNamePatterns). */
  namePatterns: booleanField().default(false),
  /** The vhost of host names no policy matches (the router's defaultVhost); absent: they are refused. */
  default: vhostNameField().optional(),
  /** Policies written here, one per vhost. */
  policies: z.array(z.unknown(), { error: 'expected a list of vhost policies' }).optional(),
  /** A directory of policy files (`*.yaml`, `*.yml`, `*.json`), one vhost per file; relative to the config file. */
  dir: z.string().min(1, { error: 'expected a directory path' }).optional(),
});

export type VhostsConfig = z.output<typeof vhostsSchema>;

/** The keys every listener (native, MQTT, HTTP publish) adds for vhosts. */
export const listenerVhostFields = {
  /** The vhost of connections that name none by SNI or Host header (plain MQTT over TCP, HTTP/1.0). */
  vhost: vhostNameField().optional(),
  /** Take the vhost from a `user@vhost` user name, and authenticate `user` (docs/vhosts.md#choosing-the-vhost). */
  vhostFromUserName: booleanField().default(false),
};

interface ConfigForVhostChecks {
  readonly vhosts: VhostsConfig;
  readonly listeners: readonly {
    readonly protocol: string;
    readonly vhost?: string | undefined;
    readonly vhostFromUserName?: boolean;
  }[];
}

/** What the parts of the config say together about vhosts; the policies are checked at start. */
export function checkVhosts(config: ConfigForVhostChecks, ctx: z.RefinementCtx): void {
  const { vhosts } = config;
  if (!vhosts.enabled) {
    config.listeners.forEach((listener, index) => {
      for (const key of ['vhost', 'vhostFromUserName'] as const) {
        const value = listener[key];
        if (value === undefined || value === false) continue;
        ctx.addIssue({
          code: 'custom',
          path: ['listeners', index, key],
          input: value,
          message: 'expected no vhost setting while vhosts.enabled is false',
        });
      }
    });
    return;
  }
  if ((vhosts.policies === undefined) === (vhosts.dir === undefined))
    ctx.addIssue({
      code: 'custom',
      path: ['vhosts'],
      input: vhosts,
      message: 'expected exactly one of vhosts.policies and vhosts.dir while vhosts are enabled',
    });
}
