// IP addresses as bytes, for exact and CIDR matching in host access lists. IPv4-mapped IPv6
// addresses (::ffff:a.b.c.d, what a dual-stack socket reports for an IPv4 peer) become plain
// IPv4, so `127.0.0.1` in a list matches a client the socket calls `::ffff:127.0.0.1`.
import { isIPv4, isIPv6 } from 'node:net';

export interface IpAddress {
  readonly family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  readonly bytes: Uint8Array;
}

export interface IpNetwork {
  readonly network: IpAddress;
  readonly prefixLength: number;
}

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** Parses an IPv4 or IPv6 address; a zone (`fe80::1%eth0`) is allowed only when `allowZone`. */
export function parseIpAddress(text: string, options: { allowZone?: boolean } = {}): IpAddress | undefined {
  const zoneAt = text.indexOf('%');
  if (zoneAt >= 0 && !options.allowZone) return undefined;
  const plain = zoneAt >= 0 ? text.slice(0, zoneAt) : text;
  if (isIPv4(plain)) return { family: 4, bytes: Uint8Array.from(plain.split('.').map(Number)) };
  if (!isIPv6(plain)) return undefined;
  const bytes = ipv6Bytes(plain);
  if (MAPPED_PREFIX.every((byte, i) => bytes[i] === byte)) return { family: 4, bytes: bytes.slice(12) };
  return { family: 6, bytes };
}

/** `10.0.0.0/8`, `::1/128`; host bits must be zero (a likely typo otherwise). Throws with the reason. */
export function parseIpNetwork(text: string): IpNetwork {
  const slash = text.indexOf('/');
  const address = parseIpAddress(text.slice(0, slash));
  if (address === undefined) throw new Error(`"${text.slice(0, slash)}" is not an IP address`);
  const prefixText = text.slice(slash + 1);
  const written = ipv6Written(text.slice(0, slash));
  const maxPrefix = written ? 128 : 32;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maxPrefix)
    throw new Error(`prefix length must be an integer from 0 to ${maxPrefix}`);
  let prefixLength = Number(prefixText);
  if (written && address.family === 4) {
    // An IPv4-mapped range: only meaningful inside ::ffff:0:0/96, where it is an IPv4 range.
    if (prefixLength < 96)
      throw new Error(
        'an IPv4-mapped (::ffff:a.b.c.d) network needs a prefix length of at least 96; write the IPv4 network instead',
      );
    prefixLength -= 96;
  }
  const masked = maskTo(address.bytes, prefixLength);
  if (!masked.every((byte, i) => byte === address.bytes[i])) {
    throw new Error(
      `the address has bits set beyond the /${prefixText} prefix (did you mean ${formatIpAddress({ family: address.family, bytes: masked })}/${prefixLength}?)`,
    );
  }
  return { network: address, prefixLength };
}

export function sameIpAddress(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && a.bytes.every((byte, i) => byte === b.bytes[i]);
}

export function networkContains(range: IpNetwork, address: IpAddress): boolean {
  if (range.network.family !== address.family) return false;
  const masked = maskTo(address.bytes, range.prefixLength);
  return masked.every((byte, i) => byte === range.network.bytes[i]);
}

/** Dotted IPv4, or IPv6 as eight uncompressed hex groups (valid input for DNS and for parseIpAddress). */
export function formatIpAddress(address: IpAddress): string {
  if (address.family === 4) return Array.from(address.bytes).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((address.bytes[i] << 8) | address.bytes[i + 1]).toString(16));
  return groups.join(':');
}

function ipv6Written(text: string): boolean {
  return text.includes(':');
}

function maskTo(bytes: Uint8Array, prefixLength: number): Uint8Array {
  return bytes.map((byte, i) => {
    const bitsInByte = Math.min(8, Math.max(0, prefixLength - i * 8));
    return byte & ((0xff << (8 - bitsInByte)) & 0xff);
  });
}

/** 16 bytes from a valid IPv6 text (isIPv6 already checked), trailing dotted IPv4 included. */
function ipv6Bytes(text: string): Uint8Array {
  let hex = text;
  const lastColon = hex.lastIndexOf(':');
  const tail = hex.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a, b, c, d] = tail.split('.').map(Number);
    hex = `${hex.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = hex.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? [] : new Array<string>(8 - headGroups.length - restGroups.length).fill('0');
  const groups = [...headGroups, ...zeros, ...restGroups];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    const value = parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  return bytes;
}
