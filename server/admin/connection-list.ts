// The admin view of open connections (GET /admin/connections): what each session says of itself,
// filtered and paged. Built only when asked, by walking the sessions: nothing on the message path.
import type { SubscriptionPattern } from '../topics/index.js';

/** The protocol a client connection speaks. */
export type ConnectionProtocol = 'native' | 'mqtt' | 'http';

/** One open connection as the admin API shows it (docs/admin.md, "Connections"). */
export interface ConnectionInfo {
  /** The session id (also in the broker log and the native logon ack). */
  readonly id: string;
  /** The logged-on identity; null before logon ('' after an implicit logon). */
  readonly user: string | null;
  readonly remoteAddress: string;
  /** The listener's name from the config. */
  readonly listener: string;
  readonly protocol: ConnectionProtocol;
  /**
   * Native: the WebSocket subprotocol (`warden.v1.json`, `warden.v1.msgpack`); MQTT: `3.1`, `3.1.1` or `5.0` (null before CONNECT);
   * HTTP publish: `HTTP/1.1` or `HTTP/1.0` (null before the first request).
   */
  readonly version: string | null;
  /** MQTT client id; null for native connections and before CONNECT. */
  readonly clientId: string | null;
  readonly loggedOn: boolean;
  /** Subscriptions held now (MQTT shared subscriptions included). */
  readonly subscriptions: number;
  /** Bytes waiting to be sent to this client: the socket's unsent bytes and, for MQTT, the publishes queued behind its in-flight window. */
  readonly queuedBytes: number;
  /** When the connection was accepted (ISO 8601). */
  readonly connectedAt: string;
  /** Publishes accepted from this client. */
  readonly messagesIn: number;
  /** Publishes sent to this client. */
  readonly messagesOut: number;
  /** The vhost it is in (docs/vhosts.md); absent without vhosts and before logon. */
  readonly vhost?: string;
}

/** What GET /admin/connections/{id} adds: the subscription patterns themselves. */
export interface ConnectionDetail extends ConnectionInfo {
  readonly subscriptionPatterns: readonly string[];
}

/** What a session must tell the admin view about itself. */
export interface DescribedConnection {
  readonly id: string;
  readonly isLoggedOn: boolean;
  readonly userName: string | null;
  /** False once the broker or the client started closing it: no longer listed. */
  readonly isOpen: boolean;
  readonly listenerName: string;
  readonly protocol: ConnectionProtocol;
  readonly queuedBytes: number;
  /** The vhost it is in, or null (no vhosts, or not chosen yet). */
  readonly vhostName: string | null;
  describe(): ConnectionInfo;
  subscriptionPatterns(): string[];
}

/** Filters of GET /admin/connections; every one given must match (exactly). */
export interface ConnectionFilter {
  readonly user?: string;
  readonly host?: string;
  readonly listener?: string;
  readonly protocol?: ConnectionProtocol;
  /** Only connections in this vhost (canonical name). */
  readonly vhost?: string;
}

export interface ConnectionPage {
  /** Connections matching the filters on this node, over all pages. */
  readonly total: number;
  readonly connections: readonly ConnectionInfo[];
  /** Pass as `after` for the next page; absent on the last page. */
  readonly next?: string;
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export function matches(session: DescribedConnection, info: ConnectionInfo | null, filter: ConnectionFilter): boolean {
  if (filter.user !== undefined && session.userName !== filter.user) return false;
  if (filter.vhost !== undefined && session.vhostName !== filter.vhost) return false;
  if (info === null) return true;
  if (filter.host !== undefined && info.remoteAddress !== filter.host) return false;
  if (filter.listener !== undefined && info.listener !== filter.listener) return false;
  if (filter.protocol !== undefined && info.protocol !== filter.protocol) return false;
  return true;
}

/**
 * One page of the connections matching `filter`, in the order they connected. `after` is the id
 * the previous page ended with: a cursor rather than an offset, so connections that come and go
 * between two requests neither repeat nor get skipped. An `after` that has since disconnected
 * still works, as ids grow with connection order (`<node prefix>-<base-36 counter>`).
 */
export function pageOfConnections(
  sessions: Iterable<DescribedConnection>,
  filter: ConnectionFilter,
  limit: number,
  after: string | undefined,
): ConnectionPage {
  const afterOrdinal = after === undefined ? -1 : ordinal(after);
  const connections: ConnectionInfo[] = [];
  let total = 0;
  let next: string | undefined;
  for (const session of sessions) {
    if (!session.isOpen || !matches(session, null, filter)) continue;
    const info = session.describe();
    if (!matches(session, info, filter)) continue;
    total++;
    if (ordinal(info.id) <= afterOrdinal) continue;
    if (connections.length < limit) connections.push(info);
    else next ??= connections[connections.length - 1]!.id;
  }
  return next === undefined ? { total, connections } : { total, connections, next };
}

/** The counter part of a session id; -1 for a string that is not one. */
export function ordinal(id: string): number {
  const dash = id.lastIndexOf('-');
  const value = dash < 0 ? Number.NaN : Number.parseInt(id.slice(dash + 1), 36);
  return Number.isFinite(value) ? value : -1;
}

/** MQTT's protocol level as people write it. */
export function mqttVersionName(level: number): string {
  return level === 5 ? '5.0' : level === 4 ? '3.1.1' : '3.1';
}

/** How a subscription pattern reads in the admin view: the topic or filter, a regex as `/source/`. */
export function patternText(pattern: SubscriptionPattern): string {
  return pattern.kind === 'exact'
    ? pattern.topic
    : pattern.kind === 'wildcard'
      ? pattern.filter
      : `/${pattern.source}/`;
}
