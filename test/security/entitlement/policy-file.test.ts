import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPolicyEntitlement } from '../../../server/security/entitlement/index.js';
import { admin, allows, answerOf, configErrorOf, LEVEL, logon, read, testContext, write } from './helpers.js';
import { useTempDirs } from '../../helpers/temp-dir.js';

const tempDir = useTempDirs();

const POLICY_YAML = `# traders trade their own orders
allowUnknownUser: false
groups:
  traders:
    users: [alice, bob]
    grants:
      - { actions: [read, write], topics: ['orders/\${user}/#'] }
      - { actions: [read], topics: ['prices/#'], filter: "region = 'EU'" }
deny:
  - { users: ['*'], actions: [write], topics: ['prices/#'] }
`;

const CHANGED_YAML = `groups:
  traders:
    users: [alice]
    grants:
      - { actions: [read], topics: [news/#] }
`;

describe('policy module with a policy file', () => {
  it('loads a YAML file relative to the config directory', async () => {
    const dir = tempDir();
    dir.write('policy.yaml', POLICY_YAML);
    const module = await createPolicyEntitlement({ file: 'policy.yaml' }, testContext(dir.path));
    expect(allows(module, write('alice', 'orders/alice/1'))).toBe(true);
    expect(allows(module, write('alice', 'orders/bob/1'))).toBe(false);
    expect(answerOf(module, read('bob', 'prices/x'))).toEqual({ allow: true, filter: "region = 'EU'" });
    expect(allows(module, write('bob', 'prices/x'))).toBe(false);
  });

  it('loads a JSON file, by absolute path', async () => {
    const dir = tempDir();
    const file = dir.write(
      'policy.json',
      JSON.stringify({
        groups: { readers: { users: ['r'], grants: [{ actions: ['read'], topics: ['re:feed/${user}/[a-z]+'] }] } },
      }),
    );
    const module = await createPolicyEntitlement({ file }, testContext('/nonexistent'));
    expect(allows(module, read('r', 'feed/r/abc'))).toBe(true);
    expect(allows(module, read('r', 'feed/r/1'))).toBe(false);
  });

  it('names the file and the path inside it when the policy is invalid', async () => {
    const dir = tempDir();
    const file = dir.write(
      'policy.yaml',
      POLICY_YAML.replace("topics: ['prices/#'], filter", "topics: ['prices/#', 'prices/#/x'], filter"),
    );
    const error = await configErrorOf(() => createPolicyEntitlement({ file: 'policy.yaml' }, testContext(dir.path)));
    expect(error.source).toBe(file);
    expect(error.issues).toEqual([
      {
        path: 'groups.traders.grants[1].topics[1]',
        message: `expected a valid pattern ('#' must be the last topic level in "prices/#/x"), got "prices/#/x"`,
      },
    ]);
    expect(error.message).toContain(file);
  });

  it('names the file, the grant and the problem when a filter or select list does not compile', async () => {
    const dir = tempDir();
    const file = dir.write('policy.yaml', POLICY_YAML.replace(`filter: "region = 'EU'"`, 'filter: "px >"'));
    const error = await configErrorOf(() => createPolicyEntitlement({ file: 'policy.yaml' }, testContext(dir.path)));
    expect(error.source).toBe(file);
    expect(error.issues).toEqual([
      {
        path: 'groups.traders.grants[1].filter',
        message:
          'expected a filter (docs/filters.md) that compiles, but filter does not parse: Unexpected end of expression (position 4), got "px >"',
      },
    ]);
    expect(error.message).toContain(file);
  });

  it('reports YAML syntax errors and duplicate keys with the file', async () => {
    const dir = tempDir();
    const broken = dir.write('broken.yaml', 'groups:\n  traders: [unclosed\n');
    const error = await configErrorOf(() => createPolicyEntitlement({ file: broken }, testContext()));
    expect(error.source).toBe(broken);
    expect(error.issues[0]?.message).toMatch(/^YAML syntax error at line \d+, column \d+/);

    const duplicate = dir.write('duplicate.yaml', 'groups:\n  traders: {users: [a]}\n  traders: {users: [b]}\n');
    const duplicateError = await configErrorOf(() => createPolicyEntitlement({ file: duplicate }, testContext()));
    expect(duplicateError.source).toBe(duplicate);
    expect(duplicateError.issues[0]?.message).toMatch(/unique/i);
  });

  it('names the option when the file cannot be read', async () => {
    const dir = tempDir();
    const error = await configErrorOf(() => createPolicyEntitlement({ file: 'missing.yaml' }, testContext(dir.path)));
    const file = join(dir.path, 'missing.yaml');
    expect(error.issues).toEqual([
      {
        path: 'security.entitlement.options.file',
        message: `cannot read policy file ${JSON.stringify(file)} (ENOENT)`,
      },
    ]);
  });
});

describe('policy module reset', () => {
  it('re-reads the file and applies a valid change', async () => {
    const dir = tempDir();
    const file = dir.write('policy.yaml', POLICY_YAML);
    const context = testContext(dir.path);
    const module = await createPolicyEntitlement({ file: 'policy.yaml' }, context);
    expect(allows(module, read('bob', 'orders/bob/1'))).toBe(true);

    dir.write('policy.yaml', CHANGED_YAML);
    await module.reset?.();
    expect(allows(module, read('bob', 'orders/bob/1'))).toBe(false);
    expect(allows(module, read('bob', 'news/x'))).toBe(false);
    expect(allows(module, read('alice', 'news/x'))).toBe(true);
    expect(allows(module, read('alice', 'orders/alice/1'))).toBe(false);
    expect(context.records).toContainEqual(
      expect.objectContaining({ level: LEVEL.info, file, msg: 'entitlement policy reloaded' }),
    );
  });

  it('keeps the previous policy and says why (reset rejects) when the changed file is invalid', async () => {
    const dir = tempDir();
    const file = dir.write('policy.yaml', POLICY_YAML);
    const context = testContext(dir.path);
    const module = await createPolicyEntitlement({ file: 'policy.yaml' }, context);

    dir.write('policy.yaml', CHANGED_YAML.replace('news/#', 'news/+x'));
    const failure = await Promise.resolve(module.reset?.()).then(
      () => null,
      (error: unknown) => (error as Error).message,
    );
    expect(failure).toMatch(/^entitlement policy file is invalid; keeping the previous policy: /);
    expect(failure).toContain(file);
    expect(failure).toContain('groups.traders.grants[0].topics[0]');
    expect(allows(module, read('bob', 'orders/bob/1'))).toBe(true);
    expect(allows(module, read('alice', 'news/x'))).toBe(false);

    // Once fixed, the next reset applies it.
    dir.write('policy.yaml', CHANGED_YAML);
    await module.reset?.();
    expect(allows(module, read('alice', 'news/x'))).toBe(true);
  });

  it('keeps the previous policy when the file disappears or becomes empty', async () => {
    const dir = tempDir();
    const file = dir.write('policy.yaml', POLICY_YAML);
    const context = testContext(dir.path);
    const module = await createPolicyEntitlement({ file: 'policy.yaml' }, context);

    rmSync(file);
    await expect(module.reset?.()).rejects.toThrow(/keeping the previous policy: .*cannot read policy file/s);
    expect(allows(module, read('bob', 'orders/bob/1'))).toBe(true);

    // An empty (e.g. half-written) file has no groups, so it is invalid rather than "deny everyone".
    dir.write('policy.yaml', '');
    await expect(module.reset?.()).rejects.toThrow(/keeping the previous policy/);
    expect(allows(module, read('bob', 'orders/bob/1'))).toBe(true);
  });

  it('keeps the previous policy when a re-read grant has a filter or select list that does not compile', async () => {
    const dir = tempDir();
    const file = dir.write('policy.yaml', POLICY_YAML);
    const module = await createPolicyEntitlement({ file: 'policy.yaml' }, testContext(dir.path));
    dir.write('policy.yaml', CHANGED_YAML.replace('topics: [news/#] }', "topics: [news/#], select: 'sym' }"));
    await expect(module.reset?.()).rejects.toThrow(
      `groups.traders.grants[0].select: expected a select list (docs/select-lists.md) that compiles`,
    );
    await expect(module.reset?.()).rejects.toThrow(file);
    expect(allows(module, read('bob', 'orders/bob/1'))).toBe(true);
    expect(allows(module, read('alice', 'news/x'))).toBe(false);
  });

  it('has nothing to re-read with an inline policy', async () => {
    const context = testContext();
    const module = await createPolicyEntitlement(
      { policy: { groups: { g: { users: ['u'], grants: [{ actions: ['read'], topics: ['a'] }] } } } },
      context,
    );
    await module.reset?.();
    expect(allows(module, read('u', 'a'))).toBe(true);
    expect(context.records.filter((record) => record.level >= LEVEL.warn)).toEqual([]);
  });
});

describe('the policy example in docs/entitlement.md', () => {
  it('loads and means what the documentation says', async () => {
    const docs = readFileSync(new URL('../../../docs/entitlement.md', import.meta.url), 'utf8');
    const section = docs.slice(docs.indexOf('### The policy format'));
    const example = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(example).toBeDefined();
    const dir = tempDir();
    dir.write('policy.yaml', example ?? '');
    const module = await createPolicyEntitlement({ file: 'policy.yaml' }, testContext(dir.path));
    expect(allows(module, write('alice', 'orders/alice/1'))).toBe(true);
    expect(allows(module, write('alice', 'orders/bob/1'))).toBe(false);
    expect(answerOf(module, read('bob', 'prices/eu'))).toEqual({
      allow: true,
      filter: "region = 'EU'",
      select: '-/internal',
    });
    expect(allows(module, read('eve', 'prices/public/a'))).toBe(true);
    expect(allows(module, write('admin', 'prices/a'))).toBe(false);
    expect(allows(module, admin('admin', '/admin/entitlements/reset'))).toBe(true);
    expect(allows(module, admin('olga', '/admin/status', 'read'))).toBe(true);
    expect(allows(module, admin('olga', '/admin/entitlements/reset'))).toBe(false);
    expect(allows(module, read('olga', 'inbox/olga/7'))).toBe(true);
    expect(allows(module, read('olga', 'desks/ops/x'))).toBe(true);
    expect(allows(module, logon('mallory'))).toBe(false);
  });
});
