// The policy module watches its file: a valid change applies at once and invalidates only the users
// it affects (policy-diff.ts), an editor's save by rename is seen, an invalid file is reported and
// not applied, `watch: false` and close() stop it. Real files in a temp dir; the test waits for the
// module's own calls (invalidate, audit, log) with expect.poll, never for a fixed time.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPolicyEntitlement } from '../../../server/security/entitlement/index.js';
import { MAX_TARGETED_USERS } from '../../../server/security/entitlement/policy-module.js';
import type { EntitlementModule } from '../../../server/security/module-types.js';
import { useTempDirs } from '../../helpers/temp-dir.js';
import { allows, configErrorOf, LEVEL, read, testContext, type TestContext } from './helpers.js';

const tempDir = useTempDirs();
const modules: EntitlementModule[] = [];
afterEach(async () => {
  for (const m of modules.splice(0)) await m.close?.();
});

const policy = (traders: string[], extra = ''): string =>
  [
    'groups:',
    '  traders:',
    `    users: ${JSON.stringify(traders)}`,
    '    grants:',
    "      - { actions: [read], topics: ['prices/#'] }",
    '  desk:',
    '    users: [carol]',
    '    grants:',
    "      - { actions: [read], topics: ['desk/#'] }",
    extra,
  ].join('\n');

async function watched(text: string, options: Record<string, unknown> = {}) {
  const dir = tempDir();
  const file = dir.write('policy.yaml', text);
  const context = testContext(dir.path);
  const module = await createPolicyEntitlement({ file: 'policy.yaml', ...options }, context);
  modules.push(module);
  return { dir, file, context, module };
}

const applied = (context: TestContext): number =>
  context.records.filter((r) => r.msg === 'entitlement policy file changed; applied').length;

describe('the policy module watching its file', () => {
  it('applies a valid change and invalidates only the users whose grants changed', async () => {
    const { file, context, module } = await watched(policy(['alice', 'bob']));
    expect(allows(module, read('bob', 'prices/x'))).toBe(true);

    writeFileSync(file, policy(['alice', 'dave']));
    await expect.poll(() => context.invalidated).toEqual([{ user: 'bob' }, { user: 'dave' }]);
    expect(allows(module, read('bob', 'prices/x'))).toBe(false);
    expect(allows(module, read('dave', 'prices/x'))).toBe(true);
    expect(allows(module, read('carol', 'desk/1'))).toBe(true);
    expect(context.invalidatedAll.count).toBe(0);
    expect(context.records).toContainEqual(
      expect.objectContaining({ level: LEVEL.info, file, users: 2, everyone: false }),
    );
  });

  it('sees a file replaced by rename, as editors and deploy tools save', async () => {
    const { dir, file, context, module } = await watched(policy(['alice']));
    const next = dir.write('.policy.yaml.swp', policy(['alice', 'bob']));
    renameSync(next, file);
    await expect.poll(() => context.invalidated).toEqual([{ user: 'bob' }]);
    expect(allows(module, read('bob', 'prices/x'))).toBe(true);

    // And keeps watching the new file after the rename.
    writeFileSync(file, policy(['bob']));
    await expect.poll(() => context.invalidated).toEqual([{ user: 'bob' }, { user: 'alice' }]);
    expect(allows(module, read('alice', 'prices/x'))).toBe(false);
  });

  it('reports an invalid file (log and audit) without applying it, then applies the fixed one', async () => {
    const { file, context, module } = await watched(policy(['alice']));
    writeFileSync(file, policy(['alice', 'bob']).replace("'prices/#'", "'prices/#/x'"));
    await expect.poll(() => context.audited.map((a) => a.event)).toEqual(['policy-invalid']);
    expect(context.audited[0]!.fields).toEqual({
      config: 'security.entitlement',
      policy: 'live',
      file,
      error: expect.stringContaining(
        `groups.traders.grants[0].topics[0]: expected a valid pattern ('#' must be the last topic level in "prices/#/x")`,
      ),
    });
    expect(context.records).toContainEqual(
      expect.objectContaining({
        level: LEVEL.error,
        file,
        msg: 'entitlement policy file is invalid; keeping the previous policy',
      }),
    );
    expect(context.invalidated).toEqual([]);
    expect(allows(module, read('alice', 'prices/x'))).toBe(true);
    expect(allows(module, read('bob', 'prices/x'))).toBe(false);

    // A half-written (empty) file is invalid too, never "deny everyone".
    writeFileSync(file, '');
    await expect.poll(() => context.audited.length).toBe(2);
    expect(allows(module, read('alice', 'prices/x'))).toBe(true);

    writeFileSync(file, policy(['alice', 'bob']));
    await expect.poll(() => context.invalidated).toEqual([{ user: 'bob' }]);
    expect(allows(module, read('bob', 'prices/x'))).toBe(true);
  });

  it('invalidates every user when users in no group are affected (allowUnknownUser changed)', async () => {
    const { file, context, module } = await watched(policy(['alice']));
    expect(allows(module, read('stranger', 'public/x'))).toBe(false);
    writeFileSync(
      file,
      `allowUnknownUser: true\n${policy(['alice'], "  $default:\n    grants:\n      - { actions: [read], topics: ['public/#'] }")}`,
    );
    await expect.poll(() => context.invalidatedAll.count).toBe(1);
    expect(context.invalidated).toEqual([]);
    expect(allows(module, read('stranger', 'public/x'))).toBe(true);
  });

  it(`invalidates every user at once when more than ${MAX_TARGETED_USERS} users are affected`, async () => {
    const many = Array.from({ length: MAX_TARGETED_USERS + 1 }, (_, i) => `user${i}`);
    const { file, context } = await watched(policy(['alice']));
    writeFileSync(file, policy(['alice', ...many]));
    await expect.poll(() => context.invalidatedAll.count).toBe(1);
    expect(context.invalidated).toEqual([]);

    writeFileSync(file, policy(['alice', ...many.slice(1)]));
    await expect.poll(() => context.invalidated).toEqual([{ user: 'user0' }]);
  });

  it('does nothing when the file is rewritten with the same text', async () => {
    const text = policy(['alice']);
    const { file, context } = await watched(text);
    writeFileSync(file, text);
    writeFileSync(file, policy(['alice', 'bob']));
    await expect.poll(() => context.invalidated).toEqual([{ user: 'bob' }]);
    // One application: a burst of writes is one change, and the same text is none.
    expect(applied(context)).toBe(1);
  });

  it('does not watch with watch: false, nor after close()', async () => {
    const { file, context, module } = await watched(policy(['alice']));
    const unwatched = testContext(join(file, '..'));
    const still = await createPolicyEntitlement({ file: 'policy.yaml', watch: false }, unwatched);
    const closedContext = testContext(join(file, '..'));
    const closed = await createPolicyEntitlement({ file: 'policy.yaml' }, closedContext);
    modules.push(still);
    await closed.close?.();

    writeFileSync(file, policy(['alice', 'bob']));
    await expect.poll(() => context.invalidated).toEqual([{ user: 'bob' }]);
    // A second change, so that the first one's events have long reached every watch there is.
    writeFileSync(file, policy(['alice', 'bob', 'dave']));
    await expect.poll(() => context.invalidated.length).toBe(2);
    expect(allows(module, read('dave', 'prices/x'))).toBe(true);
    for (const [m, c] of [
      [still, unwatched],
      [closed, closedContext],
    ] as const) {
      expect(allows(m, read('bob', 'prices/x'))).toBe(false);
      expect(c.invalidated).toEqual([]);
      expect(applied(c)).toBe(0);
    }
    // A reset still re-reads the file.
    await still.reset?.();
    expect(allows(still, read('dave', 'prices/x'))).toBe(true);
  });

  it('a reset overlapped by a later read resolves once that newest read is in force', async () => {
    const { file, module } = await watched(policy(['alice']), { watch: false });
    const first = Promise.resolve(module.reset?.());
    writeFileSync(file, policy(['alice', 'bob']));
    const second = Promise.resolve(module.reset?.());
    await first;
    expect(allows(module, read('bob', 'prices/x'))).toBe(true);
    await second;
  });

  it('an inline policy has nothing to watch: watch: true is an error', async () => {
    const error = await configErrorOf(() =>
      createPolicyEntitlement({ policy: { groups: {} }, watch: true }, testContext()),
    );
    expect(error.issues).toEqual([
      {
        path: 'security.entitlement.options.watch',
        message: 'expected false (there is no policy file to watch: no "file" or "shadow.file"), got true',
      },
    ]);
  });
});
