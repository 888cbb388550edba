// MQTT 5 shared subscription filters (spec 4.8.2): `$share/{ShareName}/{filter}`. The share name
// is at least one character, without `/`, `+` or `#` [MQTT-4.8.2-1, 4.8.2-2].
import type { VhostNamespace } from '../vhosts/vhost-namespace.js';

const PREFIX = '$share/';

export class SharedFilter {
  constructor(
    readonly shareName: string,
    /** The topic filter after the share name. */
    readonly filter: string,
  ) {}
}

export function isSharedFilter(filter: string): boolean {
  return filter.startsWith(PREFIX);
}

/** The parts of a `$share/...` filter, or null when it is not a valid shared filter. */
export function parseSharedFilter(filter: string): SharedFilter | null {
  const slash = filter.indexOf('/', PREFIX.length);
  if (slash === -1) return null;
  const shareName = filter.slice(PREFIX.length, slash);
  const rest = filter.slice(slash + 1);
  if (shareName === '' || rest === '' || shareName.includes('+') || shareName.includes('#')) return null;
  return new SharedFilter(shareName, rest);
}

/** A shared group is one per vhost: `$share/g/x` in two vhosts is two groups. */
export function namespacedShare(namespace: VhostNamespace, shared: SharedFilter): SharedFilter {
  return namespace.prefix === '' ? shared : new SharedFilter(shared.shareName, namespace.topic(shared.filter));
}
