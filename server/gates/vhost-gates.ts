// The gates of one listener with vhosts on: one set per vhost, and the choice of a connection's
// vhost at logon, from what the transport and the user name say (docs/vhosts.md#choosing-the-vhost).
// Choosing is per logon, never per message; after it a session uses its vhost's gates alone.
import type { ConnectionHostNames } from '../transports/transport.js';
import { chooseVhost, type VhostRefusal } from '../vhosts/vhost-of-connection.js';
import type { VhostNames } from '../vhosts/vhost-names.js';
import type { Vhost } from '../vhosts/vhosts.js';
import type { ListenerGates } from './listener-gates.js';

export type VhostGatesChoice =
  | {
      readonly ok: true;
      readonly gates: ListenerGates;
      /** The user name to authenticate: without its `@vhost` suffix when one named the vhost. */
      readonly user: string | undefined;
    }
  | { readonly ok: false; readonly reason: VhostRefusal; readonly message: string };

export class ListenerVhostGates {
  constructor(
    private readonly names: VhostNames<Vhost>,
    private readonly gatesOf: ReadonlyMap<Vhost, ListenerGates>,
    /** The listener's `vhost`: for connections that name none by SNI or Host header. */
    private readonly listenerVhost: string | undefined,
    /** The listener's `vhostFromUserName`. */
    private readonly userSuffix: boolean,
  ) {}

  choose(hostNames: ConnectionHostNames | undefined, userName: string | undefined): VhostGatesChoice {
    const choice = chooseVhost(
      {
        hostHeader: hostNames?.host,
        sniServername: hostNames?.sni,
        listenerVhost: this.listenerVhost,
        userName,
        userSuffix: this.userSuffix,
      },
      this.names,
    );
    if (!choice.ok) return choice;
    const gates = this.gatesOf.get(choice.vhost.value);
    // Every vhost has gates on every listener (built together at start).
    if (gates === undefined) throw new Error(`internal: no gates for vhost ${choice.vhost.name}`);
    return { ok: true, gates, user: choice.user };
  }
}

/**
 * The key a kept MQTT session or will finds its gates under at restart: its listener's name, and
 * its vhost's namespace, read from its client id (kept internal: prefixed with the namespace).
 */
export function restoreGatesKey(listener: string, namespacePrefix: string): string {
  return listener + namespacePrefix;
}
