// The admission and limits sections: defaults, and errors that name the key and the expected form.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../server/config/index.js';
import { configErrorOf } from '../config/errors-of.js';

const issuesOf = (input: unknown) => configErrorOf(() => parseConfig(input, { env: {} })).issues;

describe('admission and limits config', () => {
  it('defaults: every protocol, 65535 connections, no per-user limiter, 50 connections/s per host, the public group', () => {
    const config = parseConfig({});
    expect(config.admission).toEqual({
      protocols: ['native', 'mqtt', 'http'],
      maxConnections: 65_535,
      maxConnectionsPerHost: 65_535,
      superusers: [],
      userLimits: { enabled: false, default: 2, privileged: { users: [], limit: 3 }, unlimited: [], users: {} },
      remoteHosts: {},
      connectionRate: { perSecond: 50, burst: 200 },
      maxUnauthenticated: 1024,
      maxUnauthenticatedPerHost: 64,
    });
    expect(config.admission.allowedUsers).toBeUndefined();
    expect(config.limits).toEqual({ public: { users: [] } });
  });

  it('public is added when the config defines other groups only', () => {
    expect(parseConfig({ limits: { traders: { users: ['t'], maxSubscriptions: 5 } } }).limits).toEqual({
      traders: { users: ['t'], maxSubscriptions: 5 },
      public: { users: [] },
    });
  });

  it.each([
    [{ admission: { maxConnections: 0 } }, 'admission.maxConnections', 'expected an integer from 1 to 65535, got 0'],
    [
      { admission: { maxConnections: 65_536 } },
      'admission.maxConnections',
      'expected an integer from 1 to 65535, got 65536',
    ],
    [
      { admission: { protocols: ['amqp'] } },
      'admission.protocols[0]',
      'expected "native", "mqtt" or "http", got "amqp"',
    ],
    [
      { admission: { protocols: ['mqtt', 'mqtt'] } },
      'admission.protocols',
      'expected each protocol once, got ["mqtt","mqtt"]',
    ],
    [
      { admission: { allowedUsers: 'admin1' } },
      'admission.allowedUsers',
      'expected a list of user names, got "admin1"',
    ],
    [
      { admission: { superusers: ['root', 'root'] } },
      'admission.superusers[1]',
      'expected each user once in this list, got "root"',
    ],
    [
      { admission: { userLimits: { users: { guest1: 0 } } } },
      'admission.userLimits.users.guest1',
      'expected an integer from 1 to 65535, got 0',
    ],
    [
      { admission: { userLimits: { unlimited: ['a'], users: { a: 3 } } } },
      'admission.userLimits.users.a',
      'expected no limit for "a", who is listed in unlimited, got 3',
    ],
    [
      { admission: { userLimits: { privileged: { limit: 'many' } } } },
      'admission.userLimits.privileged.limit',
      'expected an integer from 1 to 65535, got "many"',
    ],
    [
      { admission: { remoteHosts: { a: ['host.example.com'] } } },
      'admission.remoteHosts.a[0]',
      'expected "*", an IP address or a CIDR network (10.0.0.0/8) (host names are not supported in admission lists), got "host.example.com"',
    ],
    [
      { admission: { remoteHosts: { a: ['10.1.0.0/8'] } } },
      'admission.remoteHosts.a[0]',
      'expected "*", an IP address or a CIDR network (10.0.0.0/8): the address has bits set beyond the /8 prefix (did you mean 10.0.0.0/8?), got "10.1.0.0/8"',
    ],
    [
      { admission: { connectionRate: { burst: 0 } } },
      'admission.connectionRate.burst',
      'expected an integer from 1 to 1000000, got 0',
    ],
    [
      { limits: { public: { users: ['a'] } } },
      'limits.public.users',
      'expected no users: public is for users in no other group, got ["a"]',
    ],
    [
      { limits: { a: { users: ['u'] }, b: { users: ['u'] } } },
      'limits.b.users[0]',
      'expected a user in no other group (limits.a has it), got "u"',
    ],
    [
      { limits: { 'bad name': {} } },
      'limits["bad name"]',
      'expected a group name of 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit, got "bad name"',
    ],
    [
      { limits: { g: { maxQueuedBytes: 10 } } },
      'limits.g.maxQueuedBytes',
      'expected an integer from 1024 to 1073741824, got 10',
    ],
    [
      { limits: { g: { remoteHosts: ['*.example.com'] } } },
      'limits.g.remoteHosts[0]',
      'expected "*", an IP address or a CIDR network (10.0.0.0/8) (host names are not supported in admission lists), got "*.example.com"',
    ],
  ])('%j: %s', (input, path, message) => {
    expect(issuesOf(input)).toEqual([{ path, message }]);
  });

  it('an unknown key suggests the right one', () => {
    expect(issuesOf({ admission: { maxConnection: 5 } })).toEqual([
      { path: 'admission.maxConnection', message: 'unknown key (did you mean "maxConnections"?)' },
    ]);
    expect(issuesOf({ limits: { public: { maxSubscription: 5 } } })).toEqual([
      { path: 'limits.public.maxSubscription', message: 'unknown key (did you mean "maxSubscriptions"?)' },
    ]);
  });
});
