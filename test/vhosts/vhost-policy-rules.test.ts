import { describe, expect, it } from 'vitest';
import type { EntitlementRequest } from '../../server/security/module-types.js';
import { parseVhostPolicy } from '../../server/vhosts/vhost-policy-files.js';
import { VhostPolicyRules } from '../../server/vhosts/vhost-policy-rules.js';
import { GROUPS_EXAMPLE } from './guide-examples.js';

function rules(document: unknown): VhostPolicyRules {
  return new VhostPolicyRules(parseVhostPolicy(document, 'jsonata', undefined));
}

const logon = (user: string): EntitlementRequest => ({ user, action: 'logon', resourceType: 'logon', resource: '' });
const read = (user: string, topic: string): EntitlementRequest => ({
  user,
  action: 'read',
  resourceType: 'topic',
  resource: topic,
});
const write = (user: string, topic: string): EntitlementRequest => ({
  user,
  action: 'write',
  resourceType: 'topic',
  resource: topic,
});
const admin = (user: string, path: string): EntitlementRequest => ({
  user,
  action: 'admin',
  resourceType: 'admin',
  resource: path,
});
const noResolver = () => Promise.resolve([]);

// AMQ Interconnect security guide, Example 7.11 "Defining Basic Resource Limits for a Messaging
// Endpoint", in Warden's syntax: "*" (every address) is "#"; the prefix "news*" is "re:news.*".
const EXAMPLE_COM = {
  hostname: 'example.com',
  maxConnectionsPerUser: 10,
  allowUnknownUser: true,
  groups: {
    admin: { users: ['admin1', 'admin2'], remoteHosts: ['127.0.0.1', '::1'], sources: ['#'], targets: ['#'] },
    $default: { remoteHosts: '*', sources: ['re:news.*', 're:sports.*', 're:chat.*'], targets: 're:chat.*' },
  },
};

describe('the guide’s example.com policy (Example 7.11)', () => {
  const vhost = rules(EXAMPLE_COM);

  it('has its limits, the others at the router defaults', () => {
    expect([vhost.maxConnections, vhost.maxConnectionsPerUser, vhost.maxConnectionsPerHost]).toEqual([
      65535, 10, 65535,
    ]);
  });

  it('lets anyone connect; non-admins get $default', () => {
    expect(vhost.check(logon('admin1'))).toEqual({ allow: true });
    expect(vhost.check(logon('somebody'))).toEqual({ allow: true });
    expect(vhost.groupOf('admin2')?.name).toBe('admin');
    expect(vhost.groupOf('somebody')?.name).toBe('$default');
  });

  it('lets admins connect only from localhost, anyone else from anywhere', async () => {
    expect(await vhost.isRemoteHostAllowed('admin1', '127.0.0.1', noResolver)).toBe(true);
    expect(await vhost.isRemoteHostAllowed('admin1', '::1', noResolver)).toBe(true);
    expect(await vhost.isRemoteHostAllowed('admin1', '10.1.2.3', noResolver)).toBe(false);
    expect(await vhost.isRemoteHostAllowed('somebody', '10.1.2.3', noResolver)).toBe(true);
  });

  it('lets admins read and write every topic', () => {
    expect(vhost.check(read('admin1', 'anything/at/all'))).toEqual({ allow: true });
    expect(vhost.check(write('admin2', 'orders'))).toEqual({ allow: true });
  });

  it('lets others read news, sports and chat, and write chat only', () => {
    expect(vhost.check(read('somebody', 'news/today'))).toEqual({ allow: true });
    expect(vhost.check(read('somebody', 'sportsfeed'))).toEqual({ allow: true });
    expect(vhost.check(read('somebody', 'chat'))).toEqual({ allow: true });
    expect(vhost.check(read('somebody', 'orders'))).toEqual({
      allow: false,
      reason: 'no source of the group matches the topic',
    });
    expect(vhost.check(write('somebody', 'chat/room1'))).toEqual({ allow: true });
    expect(vhost.check(write('somebody', 'news/today'))).toEqual({
      allow: false,
      reason: 'no target of the group matches the topic',
    });
  });
});

describe('the guide’s groups example (Examples 7.5 and 7.6)', () => {
  const vhost = rules(GROUPS_EXAMPLE);

  it('has its limits', () => {
    expect([vhost.maxConnections, vhost.maxConnectionsPerUser, vhost.maxConnectionsPerHost]).toEqual([10000, 100, 100]);
  });

  it('confines developers and unknown users to myqueue1 and myqueue2', () => {
    for (const user of ['dev1', 'stranger']) {
      expect(vhost.check(read(user, 'myqueue1'))).toEqual({ allow: true });
      expect(vhost.check(write(user, 'myqueue2'))).toEqual({ allow: true });
      expect(vhost.check(read(user, 'myqueue3')).allow).toBe(false);
      expect(vhost.check(write(user, 'myqueue1/sub')).allow).toBe(false);
    }
    expect(vhost.check(read('admin1', 'myqueue3'))).toEqual({ allow: true });
  });

  it('makes no group a tenant admin unless it says so (allowAdminStatusUpdate defaults to false)', () => {
    expect(vhost.check(admin('dev1', '/admin/vhosts/example.com/connections'))).toEqual({
      allow: false,
      reason: 'the group may not update connections',
    });
    // The guide's $default group sets it: unknown users may.
    expect(vhost.check(admin('stranger', '/admin/vhosts/example.com'))).toEqual({ allow: true });
    expect(vhost.check(admin('stranger', '/admin/vhosts/example.community/connections'))).toEqual({
      allow: false,
      reason: "the path is not one of the vhost's own resources",
    });
    expect(vhost.check(admin('admin1', '/admin/connections')).allow).toBe(false);
  });
});

// Example 7.12's traders.com: its buffer limits are AMQP session settings with no MQTT meaning;
// what carries over is who is in which group, and maxMessageSize stands for maxFrameSize.
describe('the guide’s traders.com groups (Example 7.12)', () => {
  const vhost = rules({
    hostname: 'traders.com',
    groups: {
      traders: { users: ['trader1', 'trader2'], maxMessageSize: 10000, maxSubscriptions: 1 },
      feeds: { users: ['nyse-feed', 'nasdaq-feed'], maxMessageSize: 60000, maxSubscriptions: 3 },
    },
  });

  it('puts each user in their group and refuses everyone else', () => {
    expect(vhost.groupOf('trader2')).toMatchObject({ name: 'traders', maxMessageSize: 10000, maxSubscriptions: 1 });
    expect(vhost.groupOf('nyse-feed')).toMatchObject({ name: 'feeds', maxMessageSize: 60000, maxSubscriptions: 3 });
    expect(vhost.check(logon('trader1'))).toEqual({ allow: true });
    expect(vhost.check(logon('outsider'))).toEqual({ allow: false, reason: 'user is in no group of the vhost' });
    expect(vhost.check(read('outsider', 'x'))).toEqual({ allow: false, reason: 'user is in no group of the vhost' });
  });

  it('gives no topics and no remote hosts when none are listed (the router’s blank)', async () => {
    expect(vhost.check(read('trader1', 'quotes')).allow).toBe(false);
    expect(await vhost.isRemoteHostAllowed('trader1', '127.0.0.1', noResolver)).toBe(false);
  });
});

describe('placeholders, filters and admin', () => {
  const vhost = rules({
    hostname: 'tenant-a.example.com',
    allowUnknownUser: true,
    groups: {
      users: {
        users: ['alice', 'bob'],
        sources: ['${vhost}/public/#', 'home/${user}/#'],
        targets: ['home/${user}/#'],
        filter: 'px > 100',
        select: '+/px',
        allowAdminStatusUpdate: false,
      },
      $default: { sources: ['re:guest-${user}'] },
    },
  });

  it('binds ${user} per user and ${vhost} to the vhost name, with the group’s filter and select list', () => {
    expect(vhost.check(read('alice', 'home/alice/x'))).toEqual({ allow: true, filter: 'px > 100', select: '+/px' });
    expect(vhost.check(read('alice', 'home/bob/x')).allow).toBe(false);
    expect(vhost.check(write('bob', 'home/bob'))).toEqual({ allow: true, filter: 'px > 100', select: '+/px' });
    expect(vhost.check(read('bob', 'tenant-a.example.com/public/news')).allow).toBe(true);
    expect(vhost.check(read('bob', 'tenant-b.example.com/public/news')).allow).toBe(false);
  });

  it('binds unknown users into $default on first sight', () => {
    expect(vhost.check(read('carol', 'guest-carol'))).toEqual({ allow: true });
    expect(vhost.check(read('carol', 'guest-dave')).allow).toBe(false);
    expect(vhost.check(read('', 'guest-')).allow).toBe(false);
  });

  it('denies admin when allowAdminStatusUpdate is false', () => {
    expect(vhost.check(admin('alice', '/admin/vhosts/tenant-a.example.com'))).toEqual({
      allow: false,
      reason: 'the group may not update connections',
    });
  });

  it('lets unknown users log on with allowUnknownUser and no $default, and do nothing else', async () => {
    const bare = rules({ hostname: 'a.com', allowUnknownUser: true });
    expect(bare.check(logon('x'))).toEqual({ allow: true });
    // No group restricts where they come from.
    expect(await bare.isRemoteHostAllowed('x', '10.1.2.3', noResolver)).toBe(true);
    expect(bare.check(read('x', 'a')).allow).toBe(false);
    expect(bare.check(admin('x', '/admin/vhosts/a.com')).allow).toBe(false);
  });
});
