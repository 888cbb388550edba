// Choosing a connection's vhost from what the transport and the logon say (docs/vhosts.md#choosing-the-vhost).
// The vhost is the host name the client connected to (AMQ Interconnect 7.2.3: "A vhost is
// typically the name of the host to which the client connection is directed"):
//
//   TLS (WebSocket or MQTT over TCP)  the SNI name: the name TLS chose the certificate for
//   WebSocket                         the Host header
//   plain MQTT over TCP               the listener's configured vhost
//   optional `user@tenant` suffix     the vhost named after the user name's last "@"
//
// When two sources are present they must agree: an SNI name and a Host header that lead to
// different vhosts are refused (one TLS session must not reach another tenant), and so is a
// suffix that names a vhost other than the SNI's or the Host's. A suffix beats the listener's
// vhost, which is then only the vhost of user names without a suffix. A host name that no vhost
// matches goes to the default vhost, if there is one; a suffix that names no vhost is refused.
import { normalizeHostName, type VhostEntry, type VhostNames } from './vhost-names.js';

export interface ConnectionFacts {
  /** The WebSocket upgrade request's Host header. */
  readonly hostHeader?: string | undefined;
  /** The TLS client hello's server name (SNI). */
  readonly sniServername?: string | undefined;
  /** The vhost configured on the listener (plain MQTT over TCP). */
  readonly listenerVhost?: string | undefined;
  /** The user name the client logged on with, before any suffix is taken off. */
  readonly userName?: string | undefined;
  /** Whether the listener takes the vhost from a `user@tenant` suffix. */
  readonly userSuffix: boolean;
}

export type VhostSource = 'sni' | 'host' | 'suffix' | 'listener' | 'default';

export type VhostRefusal = 'no-vhost' | 'unknown-vhost' | 'bad-host-name' | 'vhost-mismatch' | 'bad-user-suffix';

export type VhostChoice<V> =
  | {
      readonly ok: true;
      readonly vhost: VhostEntry<V>;
      /** The user name authentication sees: without the suffix when one named the vhost. */
      readonly user: string | undefined;
      readonly source: VhostSource;
    }
  | { readonly ok: false; readonly reason: VhostRefusal; readonly message: string };

function refuse(reason: VhostRefusal, message: string): { ok: false; reason: VhostRefusal; message: string } {
  return { ok: false, reason, message };
}

interface Found<V> {
  readonly entry: VhostEntry<V> | undefined;
  readonly source: VhostSource;
}

export function chooseVhost<V>(facts: ConnectionFacts, names: VhostNames<V>): VhostChoice<V> {
  // The transport's host name: SNI, then the Host header; both present, both must lead to one vhost.
  let transport: Found<V> | undefined;
  for (const [text, source] of [
    [facts.sniServername, 'sni'],
    [facts.hostHeader, 'host'],
  ] as const) {
    if (text === undefined || text === '') continue;
    // A host name no vhost matches goes to the default; text that is no host name is refused.
    if (normalizeHostName(text) === undefined)
      return refuse('bad-host-name', `${source === 'sni' ? 'the SNI name' : 'the Host header'} is not a host name`);
    const entry = names.matchHost(text);
    if (transport !== undefined && transport.entry !== entry)
      return refuse('vhost-mismatch', 'the Host header names another vhost than the TLS server name');
    transport ??= { entry, source };
  }

  let user = facts.userName;
  if (facts.userSuffix && user !== undefined && user.includes('@')) {
    const at = user.lastIndexOf('@');
    const tenant = user.slice(at + 1);
    const name = user.slice(0, at);
    if (name === '' || tenant === '')
      return refuse('bad-user-suffix', 'expected a user name of the form user@vhost, with neither part empty');
    const entry = names.byName(tenant) ?? names.matchHost(tenant);
    if (entry === undefined) return refuse('unknown-vhost', 'the user name names no vhost');
    if (transport !== undefined && (transport.entry ?? names.defaultVhost()) !== entry)
      return refuse('vhost-mismatch', 'the user name names another vhost than the host connected to');
    user = name;
    return { ok: true, vhost: entry, user, source: 'suffix' };
  }

  if (transport !== undefined) {
    if (transport.entry !== undefined) return { ok: true, vhost: transport.entry, user, source: transport.source };
    return withDefault(names, user);
  }
  if (facts.listenerVhost !== undefined) {
    const entry = names.byName(facts.listenerVhost);
    // The listener's vhost is checked when the config loads; missing here is a wiring mistake.
    if (entry === undefined) return refuse('unknown-vhost', "the listener's vhost is not one of the vhosts");
    return { ok: true, vhost: entry, user, source: 'listener' };
  }
  return withDefault(names, user);
}

function withDefault<V>(names: VhostNames<V>, user: string | undefined): VhostChoice<V> {
  const fallback = names.defaultVhost();
  if (fallback === undefined) return refuse('no-vhost', 'no vhost for this host and no default vhost');
  return { ok: true, vhost: fallback, user, source: 'default' };
}
