import { describe, expect, it } from 'vitest';
import { VhostNames } from '../../server/vhosts/vhost-names.js';
import { chooseVhost, type ConnectionFacts } from '../../server/vhosts/vhost-of-connection.js';

const names = (defaultVhost?: string) =>
  new VhostNames(
    ['a.example.com', '*.b.example.com', 'tenant-c', '$default'].map((n) => [n, n] as const),
    { namePatterns: true, defaultVhost },
  );

function choose(facts: Partial<ConnectionFacts>, defaultVhost?: string) {
  const choice = chooseVhost({ userSuffix: false, ...facts }, names(defaultVhost));
  return choice.ok
    ? { vhost: choice.vhost.name, user: choice.user, source: choice.source }
    : { refused: choice.reason };
}

describe('chooseVhost', () => {
  it('takes a WebSocket connection’s vhost from the Host header', () => {
    expect(choose({ hostHeader: 'A.example.com:443', userName: 'u' })).toEqual({
      vhost: 'a.example.com',
      user: 'u',
      source: 'host',
    });
    expect(choose({ hostHeader: 'x.b.example.com' })).toMatchObject({ vhost: '*.b.example.com' });
  });

  it('takes a TLS connection’s vhost from SNI, and refuses a Host header for another vhost', () => {
    expect(choose({ sniServername: 'a.example.com' })).toMatchObject({ vhost: 'a.example.com', source: 'sni' });
    expect(choose({ sniServername: 'y.b.example.com', hostHeader: 'z.b.example.com' })).toMatchObject({
      vhost: '*.b.example.com',
      source: 'sni',
    });
    expect(choose({ sniServername: 'a.example.com', hostHeader: 'x.b.example.com' })).toEqual({
      refused: 'vhost-mismatch',
    });
  });

  it('takes plain MQTT over TCP’s vhost from the listener', () => {
    expect(choose({ listenerVhost: 'tenant-c', userName: 'u' })).toEqual({
      vhost: 'tenant-c',
      user: 'u',
      source: 'listener',
    });
  });

  it('falls back to the default vhost, else refuses', () => {
    expect(choose({ hostHeader: 'other.org' }, '$default')).toMatchObject({ vhost: '$default', source: 'default' });
    expect(choose({ hostHeader: 'other.org' })).toEqual({ refused: 'no-vhost' });
    expect(choose({})).toEqual({ refused: 'no-vhost' });
    expect(choose({ hostHeader: 'not a host' }, '$default')).toEqual({ refused: 'bad-host-name' });
  });

  describe('with user@tenant suffixes', () => {
    it('takes the vhost after the last "@" and strips it from the user name', () => {
      expect(choose({ userSuffix: true, userName: 'me@corp@tenant-c', listenerVhost: 'a.example.com' })).toEqual({
        vhost: 'tenant-c',
        user: 'me@corp',
        source: 'suffix',
      });
    });

    it('leaves a user name without "@" to the other sources', () => {
      expect(choose({ userSuffix: true, userName: 'plain', listenerVhost: 'tenant-c' })).toEqual({
        vhost: 'tenant-c',
        user: 'plain',
        source: 'listener',
      });
    });

    it('refuses an empty part, an unknown vhost, and a suffix that disagrees with the host', () => {
      expect(choose({ userSuffix: true, userName: 'me@' })).toEqual({ refused: 'bad-user-suffix' });
      expect(choose({ userSuffix: true, userName: '@tenant-c' })).toEqual({ refused: 'bad-user-suffix' });
      expect(choose({ userSuffix: true, userName: 'me@nowhere' }, '$default')).toEqual({ refused: 'unknown-vhost' });
      expect(choose({ userSuffix: true, userName: 'me@tenant-c', sniServername: 'a.example.com' })).toEqual({
        refused: 'vhost-mismatch',
      });
      expect(choose({ userSuffix: true, userName: 'me@a.example.com', hostHeader: 'A.example.com' })).toMatchObject({
        vhost: 'a.example.com',
        user: 'me',
      });
    });

    it('keeps "@" in user names when the mode is off', () => {
      expect(choose({ userName: 'me@tenant-c', listenerVhost: 'a.example.com' })).toMatchObject({
        vhost: 'a.example.com',
        user: 'me@tenant-c',
      });
    });
  });
});
