// Host access lists: addresses, CIDR, names via an injected resolver, and the DNS resolver's
// forward confirmation and timeout with injected lookups (no real DNS).
import { describe, expect, it } from 'vitest';
import {
  createDnsHostNameResolver,
  hostPatternProblem,
  isHostAllowed,
  parseHostPattern,
  type HostNameResolver,
} from '../../../server/security/authentication/host-access.js';
import { parseIpAddress } from '../../../server/security/authentication/ip-address.js';

const noNames: HostNameResolver = async () => [];
const list = (...entries: string[]) => entries.map(parseHostPattern);
const allowed = (entries: string[], address: string, resolver: HostNameResolver = noNames) =>
  isHostAllowed(list(...entries), address, resolver);

describe('parseIpAddress', () => {
  it('reads IPv4, IPv6 and IPv4-mapped IPv6 (as IPv4)', () => {
    expect(parseIpAddress('10.1.2.3')).toEqual({ family: 4, bytes: Uint8Array.from([10, 1, 2, 3]) });
    expect(parseIpAddress('::ffff:127.0.0.1')).toEqual({ family: 4, bytes: Uint8Array.from([127, 0, 0, 1]) });
    expect(parseIpAddress('::ffff:7f00:1')).toEqual({ family: 4, bytes: Uint8Array.from([127, 0, 0, 1]) });
    expect(parseIpAddress('2001:db8::1')?.bytes).toEqual(
      Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    );
    expect(parseIpAddress('::1')?.family).toBe(6);
    expect(parseIpAddress('fe80::1%eth0')).toBeUndefined();
    expect(parseIpAddress('fe80::1%eth0', { allowZone: true })?.family).toBe(6);
    expect(parseIpAddress('300.1.1.1')).toBeUndefined();
  });
});

describe('isHostAllowed: addresses', () => {
  it('matches exact IPv4 and IPv6 addresses', async () => {
    expect(await allowed(['10.0.0.5'], '10.0.0.5')).toBe(true);
    expect(await allowed(['10.0.0.5'], '10.0.0.6')).toBe(false);
    expect(await allowed(['::1'], '::1')).toBe(true);
    expect(await allowed(['2001:db8::1'], '2001:0db8:0:0:0:0:0:1')).toBe(true);
    expect(await allowed(['::1'], '127.0.0.1')).toBe(false);
  });

  it('treats IPv4-mapped IPv6 clients and entries as their IPv4 form', async () => {
    expect(await allowed(['127.0.0.1'], '::ffff:127.0.0.1')).toBe(true);
    expect(await allowed(['::ffff:127.0.0.1'], '127.0.0.1')).toBe(true);
    expect(await allowed(['10.0.0.0/8'], '::ffff:10.20.30.40')).toBe(true);
    expect(await allowed(['::ffff:10.0.0.0/104'], '10.9.9.9')).toBe(true);
  });

  it('matches CIDR networks, IPv4 and IPv6', async () => {
    expect(await allowed(['10.0.0.0/8'], '10.255.0.1')).toBe(true);
    expect(await allowed(['10.0.0.0/8'], '11.0.0.1')).toBe(false);
    expect(await allowed(['192.168.1.128/25'], '192.168.1.200')).toBe(true);
    expect(await allowed(['192.168.1.128/25'], '192.168.1.100')).toBe(false);
    expect(await allowed(['0.0.0.0/0'], '8.8.8.8')).toBe(true);
    expect(await allowed(['::1/128'], '::1')).toBe(true);
    expect(await allowed(['2001:db8::/32'], '2001:db8:ffff::5')).toBe(true);
    expect(await allowed(['2001:db8::/32'], '2001:db9::5')).toBe(false);
    expect(await allowed(['fe80::/10'], 'fe80::1%eth0')).toBe(true);
    expect(await allowed(['10.0.0.0/8'], '::1')).toBe(false);
  });

  it('"*" allows anyone, an empty list nobody, and an unparsable client address only "*"', async () => {
    expect(await allowed(['*'], '203.0.113.9')).toBe(true);
    expect(await allowed([], '127.0.0.1')).toBe(false);
    expect(await allowed(['*'], '')).toBe(true);
    expect(await allowed(['127.0.0.1', '*.example.com'], '', async () => ['a.example.com'])).toBe(false);
  });
});

describe('isHostAllowed: host names', () => {
  const resolver: HostNameResolver = async (address) =>
    address === '192.0.2.10' ? ['app1.prod.example.com'] : address === '192.0.2.11' ? ['Build.Example.Com.'] : [];

  it('matches wildcard domains and exact names against the resolved names, case-insensitively', async () => {
    expect(await allowed(['*.example.com'], '192.0.2.10', resolver)).toBe(true);
    expect(await allowed(['*.prod.example.com'], '192.0.2.10', resolver)).toBe(true);
    expect(await allowed(['*.test.example.com'], '192.0.2.10', resolver)).toBe(false);
    expect(await allowed(['build.example.com'], '192.0.2.11', resolver)).toBe(true);
    expect(await allowed(['*.example.com'], '192.0.2.99', resolver)).toBe(false);
    // "*.example.com" does not match example.com itself, nor notexample.com
    expect(await allowed(['*.example.com'], '192.0.2.1', async () => ['example.com', 'notexample.com'])).toBe(false);
  });

  it('asks the resolver only when no address entry matched, with the IPv4 form of a mapped address', async () => {
    const asked: string[] = [];
    const recording: HostNameResolver = async (address) => {
      asked.push(address);
      return [];
    };
    await allowed(['127.0.0.1', '*.example.com'], '127.0.0.1', recording);
    await allowed(['10.0.0.0/8'], '192.0.2.10', recording);
    expect(asked).toEqual([]);
    await allowed(['*.example.com'], '::ffff:192.0.2.10', recording);
    expect(asked).toEqual(['192.0.2.10']);
  });

  it('treats a failing resolver as no match (fail closed)', async () => {
    expect(await allowed(['*.example.com'], '192.0.2.10', async () => Promise.reject(new Error('SERVFAIL')))).toBe(
      false,
    );
  });
});

describe('createDnsHostNameResolver', () => {
  it('keeps only the reverse names that resolve back to the address (forward confirmation)', async () => {
    const resolve = createDnsHostNameResolver({
      timeoutMs: 1000,
      reverse: async () => ['honest.example.com', 'spoofed.example.com'],
      lookup: async (name) => (name === 'honest.example.com' ? ['192.0.2.10', '2001:db8::10'] : ['198.51.100.1']),
    });
    expect(await resolve('192.0.2.10')).toEqual(['honest.example.com']);
  });

  it('returns no names when the reverse lookup fails or takes longer than the timeout', async () => {
    const failing = createDnsHostNameResolver({
      timeoutMs: 1000,
      reverse: async () => Promise.reject(new Error('ENOTFOUND')),
    });
    expect(await failing('192.0.2.10')).toEqual([]);
    const hanging = createDnsHostNameResolver({ timeoutMs: 50, reverse: () => new Promise<string[]>(() => {}) });
    const started = Date.now();
    expect(await hanging('192.0.2.10')).toEqual([]);
    // Generous (a loaded machine): the reverse lookup never answers, so finishing at all is the timeout's doing.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('confirms a mapped client against the IPv4 answer of the forward lookup', async () => {
    const resolve = createDnsHostNameResolver({
      timeoutMs: 1000,
      reverse: async () => ['h.example.com'],
      lookup: async () => ['192.0.2.10'],
    });
    expect(await resolve('::ffff:192.0.2.10')).toEqual(['h.example.com']);
  });
});

describe('parseHostPattern errors', () => {
  it('explains what is wrong with an entry', () => {
    expect(hostPatternProblem('10.0.0.1/8')).toMatch(
      /bits set beyond the \/8 prefix \(did you mean 10\.0\.0\.0\/8\?\)/,
    );
    expect(hostPatternProblem('10.0.0.0/33')).toMatch(/prefix length must be an integer from 0 to 32/);
    expect(hostPatternProblem('::1/129')).toMatch(/0 to 128/);
    expect(hostPatternProblem('10.0.0.*')).toMatch(/"\*" may only stand alone or as the first label/);
    expect(hostPatternProblem('*.*.example.com')).toMatch(/first label/);
    expect(hostPatternProblem('10.0.0')).toMatch(/not a valid IP address or host name/);
    expect(hostPatternProblem('2001:db8::g')).toMatch(/not a valid IPv6 address/);
    expect(hostPatternProblem('bad_name.example.com')).toMatch(/is not "\*", an IP address/);
    expect(hostPatternProblem('*.example.com')).toBeUndefined();
    expect(hostPatternProblem('Host.Example.COM.')).toBeUndefined();
  });
});
