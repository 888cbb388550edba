// Remote addresses as admission sees them: parsed once per connection, and keyed canonically so
// that `::ffff:127.0.0.1` and `127.0.0.1` count as one host (ip-address.ts maps the former).
import { formatIpAddress, parseIpAddress, type IpAddress } from '../security/authentication/ip-address.js';

export class HostAddress {
  private constructor(
    /** The canonical text: the per-host counting and rate-limit key. */
    readonly key: string,
    /** null when the transport gave no IP address; only `*` entries then match. */
    readonly ip: IpAddress | null,
  ) {}

  static of(remoteAddress: string): HostAddress {
    const ip = parseIpAddress(remoteAddress, { allowZone: true }) ?? null;
    return new HostAddress(ip === null ? remoteAddress : formatIpAddress(ip), ip);
  }
}
