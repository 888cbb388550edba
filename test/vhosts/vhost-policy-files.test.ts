import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../server/config/config-error.js';
import {
  loadInlineVhostPolicies,
  loadVhostPolicyDirectory,
  MAX_POLICY_FILE_BYTES,
  parseVhostPolicy,
} from '../../server/vhosts/vhost-policy-files.js';

function issuesOf(run: () => unknown): readonly { path: string; message: string }[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('the vhost policy schema', () => {
  it('has the router defaults', () => {
    const policy = parseVhostPolicy({ hostname: 'example.com', groups: { a: { users: ['u'] } } }, 'jsonata', undefined);
    expect(policy).toMatchObject({
      hostname: 'example.com',
      maxConnections: 65535,
      maxConnectionsPerUser: 65535,
      maxConnectionsPerHost: 65535,
      allowUnknownUser: false,
    });
    expect(policy.groups.a).toMatchObject({ remoteHosts: [], allowAdminStatusUpdate: false });
  });

  it("accepts the router's comma-separated strings for lists", () => {
    const policy = parseVhostPolicy(
      {
        hostname: 'example.com',
        groups: { admin: { users: 'admin1, admin2', remoteHosts: '127.0.0.1, ::1', sources: '' } },
      },
      'jsonata',
      undefined,
    );
    expect(policy.groups.admin.users).toEqual(['admin1', 'admin2']);
    expect(policy.groups.admin.remoteHosts).toEqual(['127.0.0.1', '::1']);
    expect(policy.groups.admin.sources).toEqual([]);
  });

  it('names each error with its key path and an exact message', () => {
    expect(
      issuesOf(() =>
        parseVhostPolicy(
          {
            hostname: 'a.com',
            maxConnections: 0,
            groups: { a: { users: ['u'], sources: ['a/#/b'], remoteHosts: ['10.0.0'], colour: 1 } },
          },
          'jsonata',
          'p.yaml',
        ),
      ).map((issue) => issue.path),
    ).toEqual(['maxConnections', 'groups.a.remoteHosts[0]', 'groups.a.sources[0]', 'groups.a.colour']);
    // What is checked once the structure is valid.
    expect(
      issuesOf(() =>
        parseVhostPolicy(
          { hostname: 'bad host', groups: { a: { filter: 'px >' }, $default: { users: ['x'] }, $x: {} } },
          'jsonata',
          undefined,
        ),
      ).map((issue) => issue.path),
    ).toEqual(['groups.a.filter', 'hostname', 'groups.$default.users', 'groups.$x']);
    const issues = issuesOf(() => parseVhostPolicy({ hostname: 'a.com', maxConnections: 70000 }, 'jsonata', undefined));
    expect(issues).toEqual([{ path: 'maxConnections', message: 'expected an integer from 1 to 65535, got 70000' }]);
    expect(issuesOf(() => parseVhostPolicy({ hostname: 'bad host' }, 'jsonata', undefined))).toEqual([
      {
        path: 'hostname',
        message: 'expected a host name, an IP address, a name pattern or "$default", got "bad host"',
      },
    ]);
  });

  it('refuses a user in two groups, naming both', () => {
    expect(
      issuesOf(() =>
        parseVhostPolicy(
          { hostname: 'a.com', groups: { admin: { users: ['u1', 'u2'] }, dev: { users: ['u3', 'u2'] } } },
          'jsonata',
          undefined,
        ),
      ),
    ).toEqual([
      {
        path: 'groups.dev.users[1]',
        message: 'expected a user in one group only: "u2" is in groups "admin" and "dev", got "u2"',
      },
    ]);
  });

  it('allows ${user} and ${vhost} in topic patterns, and no other placeholder', () => {
    expect(() =>
      parseVhostPolicy({ hostname: 'a.com', groups: { g: { sources: ['${vhost}/${user}/#'] } } }, 'jsonata', undefined),
    ).not.toThrow();
    expect(
      issuesOf(() =>
        parseVhostPolicy({ hostname: 'a.com', groups: { g: { sources: ['${group}/#'] } } }, 'jsonata', undefined),
      ),
    ).toEqual([
      {
        path: 'groups.g.sources[0]',
        message:
          'expected a valid pattern (unknown placeholder "${group}"; expected ${user} or ${vhost}), got "${group}/#"',
      },
    ]);
  });
});

describe('inline policies', () => {
  it('prefixes key paths with where the list is', () => {
    expect(
      issuesOf(() =>
        loadInlineVhostPolicies([{ hostname: 'a.com', allowUnknownUser: 'yes' }], 'vhosts.policies', 'jsonata'),
      ),
    ).toEqual([{ path: 'vhosts.policies[0].allowUnknownUser', message: 'expected true or false, got "yes"' }]);
  });

  it('refuses two policies for one vhost', () => {
    expect(
      issuesOf(() =>
        loadInlineVhostPolicies([{ hostname: 'a.com' }, { hostname: 'A.com.' }], 'vhosts.policies', 'jsonata'),
      ),
    ).toEqual([
      {
        path: 'vhosts.policies[1].hostname',
        message:
          'expected one policy per vhost: "A.com." is in both vhosts.policies[0].hostname and vhosts.policies[1].hostname',
      },
    ]);
  });
});

describe('a directory of policy files', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'warden-vhosts-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('loads YAML and JSON files in name order and ignores other files', async () => {
    await writeFile(join(directory, 'b.json'), JSON.stringify({ hostname: 'b.com' }));
    await writeFile(join(directory, 'a.yaml'), 'hostname: a.com\nmaxConnections: 10\n');
    await writeFile(join(directory, 'c.yml'), 'hostname: "*.c.com"\n');
    await writeFile(join(directory, 'README.txt'), 'not a policy');
    const policies = await loadVhostPolicyDirectory(directory, 'vhosts.policyDir', 'jsonata');
    expect(policies.map((p) => [p.definition.hostname, p.source])).toEqual([
      ['a.com', join(directory, 'a.yaml')],
      ['b.com', join(directory, 'b.json')],
      ['*.c.com', join(directory, 'c.yml')],
    ]);
  });

  it('names the file and key path of an invalid policy', async () => {
    const file = join(directory, 'a.json');
    await writeFile(file, '{"hostname": "a.com", "groups": {"g": {"sources": ["a/#/b"]}}}');
    const error = await loadVhostPolicyDirectory(directory, 'vhosts.policyDir', 'jsonata').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).source).toBe(file);
    expect((error as ConfigError).issues.map((i) => i.path)).toEqual(['groups.g.sources[0]']);
  });

  it('refuses JSON with a duplicate key and YAML syntax errors, naming the file', async () => {
    const file = join(directory, 'a.json');
    await writeFile(file, '{"hostname": "a.com", "hostname": "b.com"}');
    const error = await loadVhostPolicyDirectory(directory, 'vhosts.policyDir', 'jsonata').catch((e: unknown) => e);
    expect((error as ConfigError).source).toBe(file);
    expect((error as ConfigError).issues[0].message).toMatch(/^YAML syntax error at line 1, column \d+: /);
  });

  it('refuses two files for one vhost, naming both', async () => {
    await writeFile(join(directory, 'one.yaml'), 'hostname: a.com\n');
    await writeFile(join(directory, 'two.json'), '{"hostname": "A.COM"}');
    const error = await loadVhostPolicyDirectory(directory, 'vhosts.policyDir', 'jsonata').catch((e: unknown) => e);
    expect((error as ConfigError).issues).toEqual([
      {
        path: join(directory, 'two.json'),
        message: `expected one policy per vhost: "A.COM" is in both ${join(directory, 'one.yaml')} and ${join(directory, 'two.json')}`,
      },
    ]);
  });

  it('refuses a file over the size limit and a missing directory', async () => {
    await writeFile(join(directory, 'big.yaml'), `hostname: a.com\n#${'x'.repeat(MAX_POLICY_FILE_BYTES)}\n`);
    const error = await loadVhostPolicyDirectory(directory, 'vhosts.policyDir', 'jsonata').catch((e: unknown) => e);
    expect((error as ConfigError).issues[0].message).toMatch(
      /^expected a policy file of at most 1048576 bytes, got \d+$/,
    );
    const missing = await loadVhostPolicyDirectory(join(directory, 'nope'), 'vhosts.policyDir', 'jsonata').catch(
      (e: unknown) => e,
    );
    expect((missing as ConfigError).issues).toEqual([
      {
        path: 'vhosts.policyDir',
        message: `cannot read vhost policy directory ${JSON.stringify(join(directory, 'nope'))} (ENOENT)`,
      },
    ]);
  });
});
