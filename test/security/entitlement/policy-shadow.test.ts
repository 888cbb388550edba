// The policy module's shadow policy: asked beside the live one on every call, never deciding; every
// difference counted, summarised and audited (rate-limited); promoted to live on demand; re-read on
// reset and, watched, when its file changes.
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createPolicyEntitlement } from '../../../server/security/entitlement/index.js';
import type { EntitlementModule } from '../../../server/security/module-types.js';
import { useTempDirs } from '../../helpers/temp-dir.js';
import { admin, answerOf, configErrorOf, LEVEL, logon, read, testContext, write } from './helpers.js';

const tempDir = useTempDirs();
const modules: EntitlementModule[] = [];
afterEach(async () => {
  for (const m of modules.splice(0)) await m.close?.();
});

const LIVE = `
groups:
  traders:
    users: [alice, bob]
    grants:
      - { actions: [read, write], topics: ['orders/\${user}/#'] }
      - { actions: [read], topics: ['prices/#'], filter: "region = 'EU'" }
  ops:
    users: [olga]
    grants:
      - { actions: [admin] }
deny:
  - { users: [mallory], actions: [logon] }
`;

// bob loses his orders, prices lose the filter and gain a select list, mallory may log on, and
// carol (in no group before) joins.
const SHADOW = `
groups:
  traders:
    users: [alice, bob, carol]
    grants:
      - { actions: [read, write], topics: ['orders/\${user}/#'] }
      - { actions: [read], topics: ['prices/#'], select: '-/internal' }
  ops:
    users: [olga]
    grants:
      - { actions: [admin] }
deny:
  - { users: [bob], actions: [write], topics: ['orders/#'] }
`;

async function withShadow(options: Record<string, unknown> = {}) {
  const dir = tempDir();
  const file = dir.write('policy.yaml', LIVE);
  const shadowFile = dir.write('policy-next.yaml', SHADOW);
  const context = testContext(dir.path);
  const module = await createPolicyEntitlement(
    { file: 'policy.yaml', shadow: { file: 'policy-next.yaml' }, ...options },
    context,
  );
  modules.push(module);
  return { dir, file, shadowFile, context, module };
}

describe('a shadow policy', () => {
  it('answers beside the live policy, which alone decides; differences are counted and audited with their rules', async () => {
    const { shadowFile, context, module } = await withShadow();
    expect(module.shadowSummary?.()).toMatchObject({ source: shadowFile, comparisons: 0, differences: 0 });

    // The live answers stand.
    expect(answerOf(module, write('bob', 'orders/bob/1'))).toEqual({ allow: true });
    expect(answerOf(module, read('alice', 'prices/x'))).toEqual({ allow: true, filter: "region = 'EU'" });
    expect(answerOf(module, logon('carol'))).toEqual({ allow: false, reason: 'user is in no group' });
    expect(answerOf(module, read('alice', 'orders/alice/1'))).toEqual({ allow: true });
    expect(answerOf(module, admin('olga', '/admin/status'))).toEqual({ allow: true });

    const summary = module.shadowSummary?.();
    expect(summary).toMatchObject({
      comparisons: 5,
      differences: 3,
      byKind: { 'allowed-now-denied': 1, 'denied-now-allowed': 1, 'filter-changed': 1, 'select-changed': 1 },
      auditSuppressed: 0,
    });
    expect(summary?.recent.map(({ at: _at, ...rest }) => rest)).toEqual([
      {
        user: 'carol',
        action: 'logon',
        resourceType: 'logon',
        resource: '',
        kinds: ['denied-now-allowed'],
        live: { allow: false },
        shadow: { allow: true },
        liveRule: null,
        shadowRule: null,
      },
      {
        user: 'alice',
        action: 'read',
        resourceType: 'topic',
        resource: 'prices/x',
        kinds: ['filter-changed', 'select-changed'],
        live: { allow: true, filter: "region = 'EU'" },
        shadow: { allow: true, select: '-/internal' },
        liveRule: 'groups.traders.grants[1]',
        shadowRule: 'groups.traders.grants[1]',
      },
      {
        user: 'bob',
        action: 'write',
        resourceType: 'topic',
        resource: 'orders/bob/1',
        kinds: ['allowed-now-denied'],
        live: { allow: true },
        shadow: { allow: false },
        liveRule: 'groups.traders.grants[0]',
        shadowRule: 'deny[0]',
      },
    ]);
    expect(context.audited.map((a) => a.event)).toEqual([
      'shadow-difference',
      'shadow-difference',
      'shadow-difference',
    ]);
    expect(context.audited[0]!.fields).toEqual({
      config: 'security.entitlement',
      user: 'bob',
      action: 'write',
      resourceType: 'topic',
      resource: 'orders/bob/1',
      kinds: ['allowed-now-denied'],
      live: { allow: true },
      shadow: { allow: false },
      liveRule: 'groups.traders.grants[0]',
      shadowRule: 'deny[0]',
    });
    // explain() is the live policy's, and compares nothing.
    expect(module.explain?.(write('bob', 'orders/bob/1'))).toMatchObject({ answer: { allow: true } });
    expect(module.shadowSummary?.()?.comparisons).toBe(5);
  });

  it('rate-limits the audit lines of one (user, action, resource), counting them', async () => {
    const { context, module } = await withShadow();
    for (let i = 0; i < 5; i++) answerOf(module, write('bob', 'orders/bob/1'));
    answerOf(module, write('bob', 'orders/bob/2'));
    expect(context.audited.map((a) => a.fields.resource)).toEqual(['orders/bob/1', 'orders/bob/2']);
    expect(module.shadowSummary?.()).toMatchObject({ comparisons: 6, differences: 6, auditSuppressed: 4 });
    expect(module.shadowSummary?.()?.topResources[0]).toEqual({
      action: 'write',
      resourceType: 'topic',
      resource: 'orders/bob/1',
      differences: 5,
    });
    expect(module.shadowSummary?.()?.topUsers).toEqual([{ user: 'bob', differences: 6 }]);
  });

  it('is promoted: the shadow decides from then on, its file is what a reset reads and what is watched', async () => {
    const { file, shadowFile, context, module } = await withShadow();
    answerOf(module, write('bob', 'orders/bob/1'));
    await module.promoteShadow?.();
    expect(module.shadowSummary?.()).toBeNull();
    expect(answerOf(module, write('bob', 'orders/bob/1'))).toMatchObject({ allow: false });
    expect(answerOf(module, read('alice', 'prices/x'))).toEqual({ allow: true, select: '-/internal' });
    expect(context.audited.at(-1)).toEqual({
      event: 'shadow-promoted',
      fields: { config: 'security.entitlement', from: shadowFile, previous: file, comparisons: 1, differences: 1 },
    });
    expect(context.records).toContainEqual(
      expect.objectContaining({ level: LEVEL.warn, from: shadowFile, previous: file }),
    );

    // A reset re-reads the promoted file.
    writeFileSync(shadowFile, SHADOW.replace('users: [alice, bob, carol]', 'users: [alice, carol]'));
    await module.reset?.();
    expect(answerOf(module, read('bob', 'prices/x'))).toMatchObject({ allow: false });
    // The promoted file is watched as the live one (the old live file no longer is).
    writeFileSync(file, LIVE.replace('users: [alice, bob]', 'users: [alice, bob, zed]'));
    writeFileSync(shadowFile, SHADOW.replace('users: [alice, bob, carol]', 'users: [alice, carol, dave]'));
    await expect.poll(() => context.invalidated).toContainEqual({ user: 'dave' });
    expect(context.invalidated).not.toContainEqual({ user: 'zed' });
    expect(answerOf(module, read('dave', 'prices/x'))).toMatchObject({ allow: true });
    expect(answerOf(module, read('zed', 'prices/x'))).toMatchObject({ allow: false });

    await expect(Promise.resolve().then(() => module.promoteShadow?.())).rejects.toThrow(
      'this policy module has no shadow policy to promote',
    );
  });

  it('a changed shadow file starts the summary again and has every answer asked again; an invalid one is reported and not applied', async () => {
    const { shadowFile, context, module } = await withShadow();
    answerOf(module, write('bob', 'orders/bob/1'));
    const before = module.shadowSummary?.();
    expect(before?.differences).toBe(1);

    writeFileSync(shadowFile, 'groups: [');
    await expect.poll(() => context.audited.map((a) => a.event)).toContain('policy-invalid');
    expect(context.audited.find((a) => a.event === 'policy-invalid')?.fields).toMatchObject({
      policy: 'shadow',
      file: shadowFile,
      error: expect.stringContaining('YAML syntax error'),
    });
    expect(module.shadowSummary?.()).toEqual(before);

    writeFileSync(shadowFile, LIVE);
    await expect.poll(() => context.invalidatedAll.count).toBe(1);
    // The live policy did not change: no user's answers were invalidated one by one.
    expect(context.invalidated).toEqual([]);
    expect(module.shadowSummary?.()).toMatchObject({ comparisons: 0, differences: 0, recent: [] });
    answerOf(module, write('bob', 'orders/bob/1'));
    expect(module.shadowSummary?.()).toMatchObject({ comparisons: 1, differences: 0 });
  });

  it('is re-read on reset; an invalid one keeps the previous shadow and the reset says why', async () => {
    const { shadowFile, module } = await withShadow({ watch: false });
    writeFileSync(shadowFile, SHADOW.replace("'prices/#'], select", "'prices/#/x'], select"));
    const failure = await Promise.resolve(module.reset?.()).then(
      () => null,
      (e: unknown) => (e as Error).message,
    );
    expect(failure).toMatch(/^shadow policy file is invalid; keeping the previous shadow policy: /);
    expect(failure).toContain('groups.traders.grants[1].topics[0]');
    expect(answerOf(module, read('alice', 'prices/x'))).toEqual({ allow: true, filter: "region = 'EU'" });
    expect(module.shadowSummary?.()?.differences).toBe(1);

    writeFileSync(shadowFile, LIVE);
    await module.reset?.();
    answerOf(module, read('alice', 'prices/x'));
    expect(module.shadowSummary?.()).toMatchObject({ comparisons: 1, differences: 0 });
  });

  it('may be inline, beside an inline or a file policy', async () => {
    const context = testContext();
    const module = await createPolicyEntitlement(
      {
        policy: { groups: { g: { users: ['a'], grants: [{ actions: ['read'], topics: ['x/#'] }] } } },
        shadow: { policy: { groups: { g: { users: ['a'], grants: [{ actions: ['read'], topics: ['y/#'] }] } } } },
      },
      context,
    );
    modules.push(module);
    expect(answerOf(module, read('a', 'x/1'))).toEqual({ allow: true });
    expect(module.shadowSummary?.()).toMatchObject({ source: 'inline', differences: 1 });
    await module.promoteShadow?.();
    expect(answerOf(module, read('a', 'x/1'))).toMatchObject({ allow: false });
    expect(answerOf(module, read('a', 'y/1'))).toEqual({ allow: true });
  });

  it('rejects wrong shadow options, naming the key', async () => {
    const issues = async (options: Record<string, unknown>) =>
      (await configErrorOf(() => createPolicyEntitlement(options, testContext(tempDir().path)))).issues;
    expect(await issues({ policy: { groups: {} }, shadow: {} })).toEqual([
      {
        path: 'security.entitlement.options.shadow.file',
        message: 'expected a policy file path (or an inline "policy"), got nothing',
      },
    ]);
    expect(await issues({ policy: { groups: {} }, shadow: { file: 'a.yaml', policy: { groups: {} } } })).toEqual([
      {
        path: 'security.entitlement.options.shadow',
        message: expect.stringContaining('expected either "file" or "policy", not both'),
      },
    ]);
    expect(await issues({ policy: { groups: {} }, shadow: 'next.yaml' })).toEqual([
      { path: 'security.entitlement.options.shadow', message: 'expected a mapping (key: value), got "next.yaml"' },
    ]);
    expect(await issues({ policy: { groups: {} }, shadow: { file: 'missing.yaml' } })).toEqual([
      {
        path: 'security.entitlement.options.shadow.file',
        message: expect.stringMatching(/^cannot read policy file ".*missing\.yaml" \(ENOENT\)$/),
      },
    ]);
  });
});
