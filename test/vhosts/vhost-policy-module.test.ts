// The `vhost-policy` entitlement module as the broker uses it: behind an EntitlementService (the
// entitlement cache), asked by check(), reset, and explained for `warden admin explain`.
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { isPromiseLike, type Decision } from '../../server/security/decision.js';
import { EntitlementEpoch } from '../../server/security/entitlement-epoch.js';
import { EntitlementService, EntitlementSwitch } from '../../server/security/entitlement-service.js';
import { explainWith, type Explanation } from '../../server/security/explanation.js';
import type { EntitlementModule, EntitlementRequest } from '../../server/security/module-types.js';
import { parseVhostPolicy } from '../../server/vhosts/vhost-policy-files.js';
import { createVhostPolicyEntitlement } from '../../server/vhosts/vhost-policy-module.js';
import { VhostPolicyRules } from '../../server/vhosts/vhost-policy-rules.js';

const CONFIG = 'vhosts.policies[0]';

// docs/vhosts.md's example policy, trimmed to what the rules read.
const EXAMPLE = {
  hostname: 'Example.COM',
  maxConnectionsPerUser: 100,
  allowUnknownUser: true,
  groups: {
    admin: {
      users: ['admin1', 'admin2'],
      remoteHosts: ['127.0.0.1'],
      sources: ['#'],
      targets: ['#'],
      allowAdminStatusUpdate: true,
    },
    developers: {
      users: ['dev1', 'dev2', 'dev3', 'a/b'],
      remoteHosts: ['*'],
      sources: ['home/${user}/#', '${vhost}/shared/#'],
      targets: ['home/${user}/#'],
      filter: 'region = "EU"',
      select: '+/region,+/px',
      allowAdminStatusUpdate: false,
    },
    $default: { remoteHosts: ['*'], sources: ['public/#'] },
  },
};

function rulesOf(document: unknown): VhostPolicyRules {
  return new VhostPolicyRules(parseVhostPolicy(document, 'jsonata', undefined));
}

function serviceOf(module: EntitlementModule): EntitlementService {
  return new EntitlementService(
    module,
    () => Promise.resolve(module),
    { maxEntries: 1000, ttlMs: 0, timeoutMs: 5000, filterSyntax: 'jsonata' },
    new EntitlementSwitch(),
    new EntitlementEpoch(),
    pino({ level: 'silent' }),
  );
}

function fixture(document: unknown = EXAMPLE) {
  const rules = rulesOf(document);
  const module = createVhostPolicyEntitlement(rules);
  return { rules, module, service: serviceOf(module) };
}

const logon = (user: string): EntitlementRequest => ({ user, action: 'logon', resourceType: 'logon', resource: '' });
const topic = (user: string, action: 'read' | 'write', resource: string): EntitlementRequest => ({
  user,
  action,
  resourceType: 'topic',
  resource,
});
const admin = (user: string, resource: string): EntitlementRequest => ({
  user,
  action: 'write',
  resourceType: 'admin',
  resource,
});

/** The cache's answer, which this module always gives synchronously. */
function decide(service: EntitlementService, request: EntitlementRequest): Decision {
  const decision = service.check(request.user, request.action, request.resourceType, request.resource);
  if (isPromiseLike(decision)) throw new Error('expected a synchronous answer');
  return decision;
}

const allowed = (service: EntitlementService, request: EntitlementRequest): boolean => decide(service, request).allow;

function explain(service: EntitlementService, request: EntitlementRequest): Promise<Explanation> {
  return explainWith(service, CONFIG, request, true);
}

describe('the vhost-policy module behind the entitlement cache', () => {
  it('is named vhost-policy and answers synchronously', () => {
    const { service } = fixture();
    expect(service.moduleName).toBe('vhost-policy');
    expect(decide(service, topic('dev1', 'read', 'home/dev1/notes'))).toEqual({
      allow: true,
      filter: 'region = "EU"',
      filterSyntax: 'jsonata',
      select: '+/region,+/px',
      failed: false,
    });
  });

  it('asks the module once per request until a reset', async () => {
    const { service } = fixture();
    for (let i = 0; i < 3; i++) decide(service, topic('dev1', 'write', 'home/dev1/a'));
    expect([service.moduleCalls, service.hits, service.misses]).toEqual([1, 2, 1]);
    expect(service.peek(topic('dev1', 'write', 'home/dev1/a'))?.decision.allow).toBe(true);

    expect(await service.reset()).toBeNull();
    expect(service.peek(topic('dev1', 'write', 'home/dev1/a'))).toBeUndefined();
    decide(service, topic('dev1', 'write', 'home/dev1/a'));
    expect(service.moduleCalls).toBe(2);
  });

  it('forgets the bindings of users in no group on a reset, keeping the policy', async () => {
    const { rules, service } = fixture();
    const forget = vi.spyOn(rules, 'forgetUnknownUsers');
    expect(allowed(service, topic('stranger', 'read', 'public/news'))).toBe(true);
    await service.reset('stranger');
    expect(forget).toHaveBeenCalledTimes(1);
    // Bound again on the next check, with the same answer: the policy itself is kept.
    expect(allowed(service, topic('stranger', 'read', 'public/news'))).toBe(true);
    expect(allowed(service, topic('dev1', 'read', 'home/dev1/x'))).toBe(true);
  });

  it('lets a user in no group log on only when allowUnknownUser is true', () => {
    expect(allowed(fixture().service, logon('stranger'))).toBe(true);
    const closed = fixture({ ...EXAMPLE, allowUnknownUser: false });
    expect(allowed(closed.service, logon('stranger'))).toBe(false);
    expect(allowed(closed.service, topic('stranger', 'read', 'public/news'))).toBe(false);
    expect(allowed(closed.service, logon('dev2'))).toBe(true);
  });

  it('binds ${vhost} to the vhost’s canonical name', () => {
    const { service } = fixture();
    expect(allowed(service, topic('dev3', 'read', 'example.com/shared/plan'))).toBe(true);
    expect(allowed(service, topic('dev3', 'read', 'Example.COM/shared/plan'))).toBe(false);
    expect(allowed(service, topic('dev3', 'read', 'other.org/shared/plan'))).toBe(false);
  });
});

describe('explain of the vhost-policy module', () => {
  it('names the source pattern that allowed a read, as written', async () => {
    const { service } = fixture();
    const explanation = await explain(service, topic('dev2', 'read', 'home/dev2/notes'));
    expect(explanation).toMatchObject({
      module: 'vhost-policy',
      moduleConfig: CONFIG,
      decision: 'allow',
      filter: 'region = "EU"',
      select: '+/region,+/px',
      cache: { cached: false },
    });
    expect(explanation.rule).toEqual({
      effect: 'grant',
      location: 'groups.developers.sources[0]',
      group: 'developers',
      index: 0,
      text: '"home/${user}/#"',
      pattern: 'home/${user}/#',
    });
  });

  it('names a ${vhost} pattern by its index in the group’s sources', async () => {
    const { rule } = await explain(fixture().service, topic('dev2', 'read', 'example.com/shared/x'));
    expect(rule).toMatchObject({ location: 'groups.developers.sources[1]', index: 1, pattern: '${vhost}/shared/#' });
  });

  it('keeps the index of the pattern written when a ${user} pattern cannot be bound', async () => {
    // "a/b" cannot stand for one level: home/${user}/# grants that user nothing, the next pattern still does.
    const { service } = fixture();
    expect(allowed(service, topic('a/b', 'read', 'home/a/b/x'))).toBe(false);
    const { rule } = await explain(service, topic('a/b', 'read', 'example.com/shared/x'));
    expect(rule).toMatchObject({ location: 'groups.developers.sources[1]', index: 1 });
  });

  it('gives the reason of a denied write, and no rule', async () => {
    const explanation = await explain(fixture().service, topic('dev1', 'write', 'home/dev2/notes'));
    expect(explanation).toMatchObject({
      decision: 'deny',
      reason: 'no target of the group matches the topic',
      filter: null,
      select: null,
      rule: null,
    });
  });

  it('names the group a member logs on through', async () => {
    const { rule } = await explain(fixture().service, logon('dev2'));
    expect(rule).toEqual({
      effect: 'grant',
      location: 'groups.developers.users[1]',
      group: 'developers',
      user: 'dev2',
      index: 1,
      text: '"dev2"',
    });
  });

  it('names allowUnknownUser for a user in no group, and $default for what they read', async () => {
    const { service } = fixture();
    expect((await explain(service, logon('stranger'))).rule).toEqual({
      effect: 'grant',
      location: 'allowUnknownUser',
      group: '$default',
      index: 0,
      text: 'true',
    });
    expect((await explain(service, topic('stranger', 'read', 'public/a'))).rule).toMatchObject({
      location: 'groups.$default.sources[0]',
      group: '$default',
      pattern: 'public/#',
    });
  });

  it('names no group when allowUnknownUser lets users in no group log on without a $default', async () => {
    const { $default: _, ...groups } = EXAMPLE.groups;
    const { service } = fixture({ ...EXAMPLE, groups });
    expect((await explain(service, logon('stranger'))).rule).toEqual({
      effect: 'grant',
      location: 'allowUnknownUser',
      index: 0,
      text: 'true',
    });
    const denied = await explain(service, admin('stranger', '/admin/vhosts/example.com'));
    expect(denied).toMatchObject({ decision: 'deny', reason: 'the group may not update connections', rule: null });
  });

  it('refuses a user in no group when allowUnknownUser is false, naming no rule', async () => {
    const { service } = fixture({ ...EXAMPLE, allowUnknownUser: false });
    expect(await explain(service, logon('stranger'))).toMatchObject({
      decision: 'deny',
      reason: 'user is in no group of the vhost',
      rule: null,
    });
  });

  it('names allowAdminStatusUpdate for admin requests it decides', async () => {
    const { service } = fixture();
    expect((await explain(service, admin('admin1', '/admin/vhosts/example.com/connections'))).rule).toEqual({
      effect: 'grant',
      location: 'groups.admin.allowAdminStatusUpdate',
      group: 'admin',
      index: 0,
      text: 'true',
    });
    expect((await explain(service, admin('dev1', '/admin/vhosts/example.com'))).rule).toEqual({
      effect: 'deny',
      location: 'groups.developers.allowAdminStatusUpdate',
      group: 'developers',
      index: 0,
      text: 'false',
    });
    expect(await explain(service, admin('admin1', '/admin/connections'))).toMatchObject({
      decision: 'deny',
      reason: "the path is not one of the vhost's own resources",
      rule: null,
    });
  });

  it('answers exactly what check() answers, and changes no cache', async () => {
    const { rules, service } = fixture();
    const requests = [
      logon('admin1'),
      logon('stranger'),
      topic('dev1', 'read', 'home/dev1/x'),
      topic('dev1', 'read', 'home/dev2/x'),
      topic('stranger', 'write', 'public/x'),
      admin('dev1', '/admin/vhosts/example.com'),
      { user: 'dev1', action: 'read', resourceType: 'logon', resource: '' } as const,
    ];
    for (const request of requests) {
      expect(rules.explain(request).answer, JSON.stringify(request)).toBe(rules.check(request));
      await explain(service, request);
    }
    expect([service.cacheSize, service.moduleCalls, service.hits, service.misses]).toEqual([0, 0, 0, 0]);
  });
});
