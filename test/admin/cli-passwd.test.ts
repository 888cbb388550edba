// `warden passwd` as a real process: the password comes in on a pipe, YAML lines come out.
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { verifyPassword } from '../../server/security/authentication/password-hash.js';
import { parseScramCredentials } from '../../server/security/authentication/scram-credentials.js';
import { runCli } from './cli-process.js';

describe('warden passwd', () => {
  it('prints a scrypt hash of the first line of stdin as YAML', async () => {
    const result = await runCli(['passwd'], { stdin: 'correct horse battery staple\nsecond line is ignored\n' });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^hash: "scrypt\$N=16384,r=8,p=1\$[^"]+"\n$/);
    const { hash } = parseYaml(result.stdout) as { hash: string };
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('second line is ignored', hash)).toBe(false);
  });

  it('with --scram also prints SCRAM-SHA-256 credentials', async () => {
    const result = await runCli(['passwd', '--scram'], { stdin: 'pencil' });
    expect(result.code).toBe(0);
    const parsed = parseYaml(result.stdout) as { hash: string; scram: string };
    expect(Object.keys(parsed)).toEqual(['hash', 'scram']);
    expect(await verifyPassword('pencil', parsed.hash)).toBe(true);
    expect(parseScramCredentials(parsed.scram)).toMatchObject({ iterations: 4096 });
  });

  it('strips a CRLF line ending but keeps other white space', async () => {
    const result = await runCli(['passwd'], { stdin: ' spaced out \r\n' });
    const { hash } = parseYaml(result.stdout) as { hash: string };
    expect(await verifyPassword(' spaced out ', hash)).toBe(true);
  });

  it('refuses an empty password or an empty stdin with exit 1', async () => {
    expect(await runCli(['passwd'], { stdin: '\n' })).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'warden passwd: empty password: nothing to hash\n',
    });
    expect(await runCli(['passwd'], { stdin: '' })).toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/no password on stdin/),
    });
  });

  it('takes no arguments (a password argument would show in ps) and has help', async () => {
    const result = await runCli(['passwd', 'hunter2'], { stdin: 'x\n' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^warden passwd: the password goes on stdin/);
    expect(result.stderr).not.toMatch(/hunter2/);
    const help = await runCli(['passwd', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--scram/);
  });
});
