// Remote addresses as admission sees them: parsed once per connection, and keyed canonically so
// that `::ffff:127.0.0.1` and `127.0.0.1` count as one host (ip-address.ts maps the former).
import { formatIpAddress, parseIpAddress, type IpAddress } from '../security/authentication/ip-address.js';

/**
 * Addresses seen lately, parsed. A logon asks for its host several times (pre-logon slot, logon
 * guard, admission), and a connection storm comes from few hosts: parsing and formatting the
 * same text again was most of the logon path's own JavaScript (bench:peers storm profile).
 * Bounded: when full it starts over, so a flood from many addresses costs a parse each, as before.
 */
const recent = new Map<string, HostAddress>();
const RECENT_MAX = 4096;

export class HostAddress {
  private constructor(
    /** The canonical text: the per-host counting and rate-limit key. */
    readonly key: string,
    /** null when the transport gave no IP address; only `*` entries then match. */
    readonly ip: IpAddress | null,
  ) {}

  static of(remoteAddress: string): HostAddress {
    let host = recent.get(remoteAddress);
    if (host !== undefined) return host;
    const ip = parseIpAddress(remoteAddress, { allowZone: true }) ?? null;
    host = new HostAddress(ip === null ? remoteAddress : formatIpAddress(ip), ip);
    if (recent.size >= RECENT_MAX) recent.clear();
    recent.set(remoteAddress, host);
    return host;
  }
}
