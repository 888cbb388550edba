import { describe, expect, it } from 'vitest';
import { normalizeHostName, VhostNames } from '../../server/vhosts/vhost-names.js';

function names(list: string[], defaultVhost?: string): VhostNames<string> {
  return new VhostNames(
    list.map((name) => [name, name] as const),
    { namePatterns: true, defaultVhost },
  );
}

describe('normalizeHostName', () => {
  it.each([
    ['Example.COM', 'example.com'],
    ['example.com:8080', 'example.com'],
    ['example.com.', 'example.com'],
    ['[::1]:443', '0:0:0:0:0:0:0:1'],
    ['[::1]', '0:0:0:0:0:0:0:1'],
    ['127.0.0.1:1883', '127.0.0.1'],
    ['', undefined],
    ['exa mple.com', undefined],
    ['example.com:port', undefined],
    ['[::1', undefined],
  ])('%s -> %s', (raw, expected) => {
    expect(normalizeHostName(raw)).toBe(expected);
  });
});

describe('VhostNames', () => {
  // AMQ Interconnect, "Pattern Matching for Vhost Policy Hostnames": the table of examples.
  it.each([
    ['*.example.com', ['www.example.com'], ['example.com', 'srv2.www.example.com']],
    ['#.example.com', ['example.com', 'www.example.com', 'a.b.c.d.example.com'], ['myhost.com']],
    ['www.*.test.example.com', ['www.a.test.example.com'], ['www.test.example.com', 'www.a.b.c.test.example.com']],
    [
      'www.#.test.example.com',
      ['www.test.example.com', 'www.a.test.example.com', 'www.a.b.c.test.example.com'],
      ['test.example.com'],
    ],
  ])('%s matches as the router guide says', (pattern, matches, misses) => {
    const table = names([pattern]);
    for (const host of matches) expect(table.find(host)?.name, host).toBe(pattern);
    for (const host of misses) expect(table.find(host), host).toBeUndefined();
  });

  it('prefers an exact name, then *, then #', () => {
    const table = names(['www.example.com', '*.example.com', '#.example.com']);
    expect(table.find('www.example.com')?.name).toBe('www.example.com');
    expect(table.find('api.example.com')?.name).toBe('*.example.com');
    expect(table.find('a.b.example.com')?.name).toBe('#.example.com');
    expect(table.find('example.com')?.name).toBe('#.example.com');
  });

  it('compares words from the left: a literal word beats a wildcard', () => {
    const table = names(['*.b.example.com', 'a.#']);
    expect(table.find('a.b.example.com')?.name).toBe('a.#');
    expect(table.find('x.b.example.com')?.name).toBe('*.b.example.com');
  });

  it('normalises the host name before matching', () => {
    const table = names(['example.com', '*.example.com']);
    expect(table.find('EXAMPLE.com.:5672')?.name).toBe('example.com');
    expect(table.find('WWW.Example.Com')?.name).toBe('*.example.com');
  });

  it('falls back to the default vhost, else to no vhost', () => {
    expect(names(['example.com', '$default'], '$default').find('other.org')?.name).toBe('$default');
    expect(names(['example.com']).find('other.org')).toBeUndefined();
    expect(names(['example.com']).find('not a host')).toBeUndefined();
  });

  it('refuses a default that is not one of the vhosts', () => {
    expect(() => names(['example.com'], '$default')).toThrow('the default vhost "$default" is not one of the vhosts');
  });

  it('refuses patterns that reduce to the same pattern, as the router does', () => {
    expect(() => names(['#.com', '#.#.#.#.com'])).toThrow(
      'vhost "#.#.#.#.com" conflicts with "#.com": both reduce to "#.com"',
    );
    expect(() => names(['*.#.com', '#.*.com'])).toThrow('conflicts with "*.#.com"');
    expect(() => names(['example.com', 'Example.com.'])).toThrow('conflicts with "example.com"');
    expect(() => names(['example.com', 'example.com'])).toThrow('vhost "example.com" is defined twice');
  });

  it('refuses patterns while name patterns are off, and names that are no host name', () => {
    expect(() => new VhostNames([['*.example.com', 1]], { namePatterns: false })).toThrow(
      '"*.example.com" is a name pattern, but name patterns are off: name each vhost literally',
    );
    expect(() => new VhostNames([['example.com:5672', 1]], { namePatterns: false })).toThrow(
      '"example.com:5672" is not a host name, an IP address, a name pattern or "$default"',
    );
    expect(() => names(['a*.example.com'])).toThrow('"a*.example.com" is not a host name');
  });

  it('finds a vhost by its configured name, pattern or not', () => {
    const table = names(['*.example.com', 'tenant-a']);
    expect(table.byName('*.example.com')?.name).toBe('*.example.com');
    expect(table.byName('Tenant-A')?.name).toBe('tenant-a');
    expect(table.byName('tenant-b')).toBeUndefined();
  });

  it('matches IP address hosts literally', () => {
    const table = names(['127.0.0.1', '::1']);
    expect(table.find('127.0.0.1:1883')?.name).toBe('127.0.0.1');
    expect(table.find('[0:0::1]:443')?.name).toBe('0:0:0:0:0:0:0:1');
  });
});
