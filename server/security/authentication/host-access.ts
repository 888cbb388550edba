// Host access lists (SwiftMQ Authentication Swiftlet, "Users and Groups": "his remote hostname is
// checked against this list. Access is denied if there is no match"). Entries:
//
//   *                    any host
//   127.0.0.1, ::1       one address (IPv4-mapped IPv6 clients match their IPv4 form)
//   10.0.0.0/8, fd00::/8 a CIDR network
//   host.example.com     one host name          } found by reverse DNS of the client's address,
//   *.example.com        any name under a domain } confirmed by a forward lookup (see below)
//
// Addresses are checked first; DNS is asked only if no address entry matched and the list has
// name entries. A DNS failure or timeout is no match (fail closed).
import { lookup as dnsLookup, Resolver } from 'node:dns/promises';
import {
  formatIpAddress,
  networkContains,
  parseIpAddress,
  parseIpNetwork,
  sameIpAddress,
  type IpAddress,
  type IpNetwork,
} from './ip-address.js';

export type HostPattern =
  | { readonly kind: 'any' }
  | { readonly kind: 'address'; readonly address: IpAddress }
  | { readonly kind: 'network'; readonly range: IpNetwork }
  | { readonly kind: 'hostname'; readonly name: string }
  /** `*.example.com`: `suffix` is `.example.com`; one or more labels stand for the `*`. */
  | { readonly kind: 'domain'; readonly suffix: string };

/**
 * The host names a client address verifiably has. The default (createDnsHostNameResolver) does a
 * reverse lookup and keeps the names that resolve back to the address; tests pass a function.
 */
export type HostNameResolver = (address: string) => Promise<readonly string[]>;

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const MAX_HOSTNAME_CHARS = 253;

export const HOST_PATTERN_FORM = '"*", an IP address, a CIDR network (10.0.0.0/8), a host name or "*.<domain>"';

/** Parses one list entry; throws an Error saying what is wrong with it. */
export function parseHostPattern(text: string): HostPattern {
  const entry = text.trim();
  if (entry === '*') return { kind: 'any' };
  if (entry.includes('/')) return { kind: 'network', range: parseIpNetwork(entry) };
  const address = parseIpAddress(entry);
  if (address !== undefined) return { kind: 'address', address };
  if (entry.includes(':')) throw new Error(`"${entry}" is not a valid IPv6 address`);
  const name = normalizeHostName(entry);
  if (name.startsWith('*.')) {
    const domain = name.slice(2);
    checkHostName(domain, entry);
    return { kind: 'domain', suffix: `.${domain}` };
  }
  checkHostName(name, entry);
  return { kind: 'hostname', name };
}

/** Why `text` is not a valid entry, or undefined if it is (for option validation). */
export function hostPatternProblem(text: string): string | undefined {
  try {
    parseHostPattern(text);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Whether the client at `remoteAddress` may connect under `patterns`; an empty list allows nobody. */
export async function isHostAllowed(
  patterns: readonly HostPattern[],
  remoteAddress: string,
  resolveNames: HostNameResolver,
): Promise<boolean> {
  if (patterns.some((pattern) => pattern.kind === 'any')) return true;
  // A transport that cannot say where the client is gets only the "*" entry.
  const address = parseIpAddress(remoteAddress, { allowZone: true });
  if (address === undefined) return false;
  if (patterns.some((pattern) => matchesAddress(pattern, address))) return true;
  const namePatterns = patterns.filter((pattern) => pattern.kind === 'hostname' || pattern.kind === 'domain');
  if (namePatterns.length === 0) return false;
  const names = await resolveNames(formatIpAddress(address)).catch(() => []);
  return names.some((name) => namePatterns.some((pattern) => matchesHostName(pattern, name)));
}

export function matchesAddress(pattern: HostPattern, address: IpAddress): boolean {
  switch (pattern.kind) {
    case 'any':
      return true;
    case 'address':
      return sameIpAddress(pattern.address, address);
    case 'network':
      return networkContains(pattern.range, address);
    default:
      return false;
  }
}

export function matchesHostName(pattern: HostPattern, hostName: string): boolean {
  const name = normalizeHostName(hostName);
  switch (pattern.kind) {
    case 'any':
      return true;
    case 'hostname':
      return name === pattern.name;
    case 'domain':
      return name.endsWith(pattern.suffix) && name.length > pattern.suffix.length;
    default:
      return false;
  }
}

export interface DnsHostNameResolverOptions {
  /** For the whole resolution (reverse and forward lookups); beyond it the client has no names. */
  readonly timeoutMs: number;
  /** PTR lookup; default node:dns. */
  readonly reverse?: (address: string) => Promise<string[]>;
  /** Addresses of a name; default node:dns lookup (the system resolver, hosts file included). */
  readonly lookup?: (name: string) => Promise<string[]>;
}

/** At most this many PTR names are confirmed; a real host has one or two. */
const MAX_REVERSE_NAMES = 8;

/**
 * Reverse DNS with forward confirmation: whoever controls the PTR records of an address can make
 * it claim any name, so a name counts only if it also resolves back to the address.
 */
export function createDnsHostNameResolver(options: DnsHostNameResolverOptions): HostNameResolver {
  const lookup = options.lookup ?? lookupAddresses;
  return async (address) => {
    const client = parseIpAddress(address, { allowZone: true });
    if (client === undefined) return [];
    // A resolver per call, so a timed-out query can be cancelled without touching others.
    let resolver: Resolver | undefined;
    const reverse =
      options.reverse ??
      ((text: string) => {
        resolver = new Resolver({ timeout: options.timeoutMs, tries: 1 });
        return resolver.reverse(text);
      });
    const resolve = async (): Promise<string[]> => {
      const names = (await reverse(address)).slice(0, MAX_REVERSE_NAMES);
      const confirmed = await Promise.all(
        names.map(async (name) => {
          const addresses = await lookup(name).catch(() => []);
          return addresses.some((text) => {
            const forward = parseIpAddress(text, { allowZone: true });
            return forward !== undefined && sameIpAddress(forward, client);
          });
        }),
      );
      return names.filter((_name, i) => confirmed[i]);
    };
    try {
      return await withDeadline(resolve(), options.timeoutMs);
    } catch {
      return [];
    } finally {
      resolver?.cancel();
    }
  };
}

async function lookupAddresses(name: string): Promise<string[]> {
  const results = await dnsLookup(name, { all: true, verbatim: true });
  return results.map((result) => result.address);
}

function withDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`DNS resolution took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** Lower case, without the trailing dot of a fully qualified name. */
function normalizeHostName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function checkHostName(name: string, entry: string): void {
  const labels = name.split('.');
  if (name.length > MAX_HOSTNAME_CHARS || !labels.every((label) => LABEL.test(label))) {
    if (entry.includes('*'))
      throw new Error(
        `"${entry}" is not valid: "*" may only stand alone or as the first label ("*.example.com"); for address ranges use CIDR (10.0.0.0/8)`,
      );
    throw new Error(`"${entry}" is not ${HOST_PATTERN_FORM}`);
  }
  // All-numeric last label: a mistyped IPv4 address ("10.0.0"), not a host name.
  if (/^\d+$/.test(labels[labels.length - 1])) throw new Error(`"${entry}" is not a valid IP address or host name`);
}
