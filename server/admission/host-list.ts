// A host access list compiled from config (AMQ Interconnect `remoteHosts`, SwiftMQ host access
// lists): "*", IP addresses and CIDR networks. Host names are refused by the config schema, so
// matching is a synchronous scan of a short list, done once per logon.
import { matchesAddress, parseHostPattern, type HostPattern } from '../security/authentication/host-access.js';
import type { HostAddress } from './host-address.js';

export class HostList {
  private readonly any: boolean;
  private readonly patterns: readonly HostPattern[];

  constructor(entries: readonly string[]) {
    this.patterns = entries.map((entry) => parseHostPattern(entry));
    this.any = this.patterns.some((pattern) => pattern.kind === 'any');
  }

  /** An empty list allows no host (AMQ Interconnect: "To deny access from all remote hosts, leave this attribute blank"). */
  allows(host: HostAddress): boolean {
    if (this.any) return true;
    const ip = host.ip;
    if (ip === null) return false;
    for (const pattern of this.patterns) if (matchesAddress(pattern, ip)) return true;
    return false;
  }
}
