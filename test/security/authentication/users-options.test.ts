// `users` module option validation and the users file: every error names the full key path and
// never shows a hash or SCRAM credential.
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../server/security/authentication/password-hash.js';
import { scramCredentials } from '../../../server/security/authentication/scram-credentials.js';
import { createUsersAuthentication } from '../../../server/security/authentication/users.js';
import { useTempDirs } from '../../helpers/temp-dir.js';
import { answerOf, configErrorOf, expectAccept, logon, moduleContext } from './helpers.js';

const temp = useTempDirs();
let hash: string;

beforeAll(async () => {
  hash = await hashPassword('secret', { N: 1024, r: 8, p: 1 });
});

describe('users options', () => {
  it('refuses a plain-text password as hash, naming the full path and hiding the value', async () => {
    const error = await configErrorOf(() =>
      createUsersAuthentication({ users: [{ name: 'alice', hash: 'hunter2' }] }, moduleContext()),
    );
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0].path).toBe('security.authentication.options.users[0].hash');
    expect(error.issues[0].message).toMatch(
      /^expected a Warden password hash "scrypt\$N=.*warden passwd.*, got <secret>$/,
    );
    expect(error.message).not.toContain('hunter2');
  });

  it('refuses malformed SCRAM credentials without showing them', async () => {
    const bad = 'SCRAM-SHA-256$100:c2FsdHNhbHQ=$AAAA:BBBB';
    const error = await configErrorOf(() =>
      createUsersAuthentication(
        {
          users: [
            { name: 'a', hash },
            { name: 'b', hash, scram: bad },
          ],
        },
        moduleContext(),
      ),
    );
    expect(error.issues.map((issue) => issue.path)).toEqual(['security.authentication.options.users[1].scram']);
    expect(error.issues[0].message).toMatch(/SCRAM-SHA-256\$<iterations>.*got <secret>/);
    expect(error.message).not.toContain(bad);
  });

  it('needs users or usersFile', async () => {
    const error = await configErrorOf(() => createUsersAuthentication({}, moduleContext()));
    expect(error.issues[0].path).toBe('security.authentication.options');
    expect(error.issues[0].message).toMatch(/expected `users` \(a list\), `usersFile` \(a path\), or both/);
  });

  it('names bad host entries, duplicate users, unknown keys and bad types', async () => {
    const error = await configErrorOf(() =>
      createUsersAuthentication(
        {
          users: [{ name: 'a', hash, hosts: ['10.0.0.1/8'] }],
          defaultHosts: ['10.0.0.*'],
          passwordCheckonly: true,
        },
        moduleContext(),
      ),
    );
    const byPath = new Map(error.issues.map((issue) => [issue.path, issue.message]));
    expect(byPath.get('security.authentication.options.users[0].hosts[0]')).toMatch(/did you mean 10\.0\.0\.0\/8/);
    expect(byPath.get('security.authentication.options.defaultHosts[0]')).toMatch(/first label/);
    expect(byPath.get('security.authentication.options.passwordCheckonly')).toMatch(/did you mean "passwordCheckOnly"/);

    const duplicate = await configErrorOf(() =>
      createUsersAuthentication(
        {
          users: [
            { name: 'a', hash },
            { name: 'a', hash },
          ],
        },
        moduleContext(),
      ),
    );
    expect(duplicate.issues[0]).toEqual({
      path: 'security.authentication.options.users[1].name',
      message: 'expected a name no other user has (users[0] has the same), got "a"',
    });

    const types = await configErrorOf(() =>
      createUsersAuthentication({ users: [{ name: '', hash: 5 }], passwordCheckOnly: 'yes' }, moduleContext()),
    );
    const paths = types.issues.map((issue) => issue.path);
    expect(paths).toContain('security.authentication.options.users[0].name');
    expect(paths).toContain('security.authentication.options.users[0].hash');
    expect(paths).toContain('security.authentication.options.passwordCheckOnly');
  });

  it('accepts "true"/"false" strings for booleans (values substituted from the environment)', async () => {
    const module = await createUsersAuthentication(
      { users: [{ name: 'a', hash }], passwordCheckOnly: 'true' },
      moduleContext(),
    );
    expect(module.passwordCheckOnly).toBe(true);
  });
});

describe('usersFile', () => {
  it('reads a YAML list relative to the config directory', async () => {
    const dir = temp();
    dir.write('users.yaml', `- name: alice\n  hash: "${hash}"\n  group: ops\n`);
    const module = await createUsersAuthentication({ usersFile: 'users.yaml' }, moduleContext(dir.path));
    expectAccept(await answerOf(module.authenticate(logon({ user: 'alice', password: 'secret' }))), 'alice');
    expect(module.groupOf('alice')).toBe('ops');
  });

  it('reads JSON, and a mapping with a users key, merged with inline users', async () => {
    const dir = temp();
    dir.write('users.json', JSON.stringify({ users: [{ name: 'bob', hash }] }));
    const module = await createUsersAuthentication(
      { usersFile: 'users.json', users: [{ name: 'alice', hash }] },
      moduleContext(dir.path),
    );
    expectAccept(await answerOf(module.authenticate(logon({ user: 'bob', password: 'secret' }))), 'bob');
    expectAccept(await answerOf(module.authenticate(logon({ user: 'alice', password: 'secret' }))), 'alice');
  });

  it('reports a missing file at options.usersFile', async () => {
    const error = await configErrorOf(() =>
      createUsersAuthentication({ usersFile: 'nope.yaml' }, moduleContext(temp().path)),
    );
    expect(error.issues[0].path).toBe('security.authentication.options.usersFile');
    expect(error.issues[0].message).toMatch(/cannot read users file ".*nope\.yaml" \(ENOENT\)/);
  });

  it('reports bad entries by their path inside the file, never showing credentials', async () => {
    const dir = temp();
    const file = dir.write(
      'users.yaml',
      `users:\n  - name: a\n    hash: "${hash}"\n  - name: b\n    hash: plaintext\n  - name: c\n    hash: "${hash}"\n    scram: nope\n    color: red\n`,
    );
    const structural = await configErrorOf(() => createUsersAuthentication({ usersFile: file }, moduleContext()));
    expect(structural.source).toBe(file);
    expect(structural.issues.map((issue) => issue.path)).toEqual(['users[2].color']);

    dir.write(
      'users.yaml',
      `users:\n  - name: a\n    hash: "${hash}"\n  - name: b\n    hash: plaintext\n  - name: c\n    hash: "${hash}"\n    scram: nope\n`,
    );
    const credentials = await configErrorOf(() => createUsersAuthentication({ usersFile: file }, moduleContext()));
    expect(credentials.issues.map((issue) => issue.path)).toEqual(['users[1].hash', 'users[2].scram']);
    expect(credentials.message).not.toMatch(/plaintext|nope/);
  });

  it('refuses a file that is not a user list, YAML syntax errors, and users defined twice', async () => {
    const dir = temp();
    const scalar = dir.write('scalar.yaml', 'just text\n');
    expect(
      (await configErrorOf(() => createUsersAuthentication({ usersFile: scalar }, moduleContext()))).issues[0].message,
    ).toMatch(/expected a list of users/);
    const broken = dir.write('broken.yaml', '- name: [unclosed\n');
    expect(
      (await configErrorOf(() => createUsersAuthentication({ usersFile: broken }, moduleContext()))).issues[0].message,
    ).toMatch(/YAML syntax error/);
    const twice = dir.write('twice.yaml', `- name: alice\n  hash: "${hash}"\n`);
    const error = await configErrorOf(() =>
      createUsersAuthentication({ usersFile: twice, users: [{ name: 'alice', hash }] }, moduleContext()),
    );
    expect(error.issues[0]).toMatchObject({
      path: 'security.authentication.options.usersFile',
      message: expect.stringMatching(/both define "alice"/),
    });
  });

  it('keeps SCRAM credentials from the file', async () => {
    const dir = temp();
    dir.write('users.yaml', `- name: alice\n  hash: "${hash}"\n  scram: "${scramCredentials('secret')}"\n`);
    const module = await createUsersAuthentication({ usersFile: 'users.yaml' }, moduleContext(dir.path));
    const answer = await answerOf(
      module.authenticate(
        logon({ user: 'alice', password: undefined, mechanism: 'SCRAM-SHA-256', data: 'n,,n=alice,r=abc' }),
      ),
    );
    expect(answer.outcome).toBe('challenge');
  });
});
