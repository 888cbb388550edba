// scrypt password hashes: format, round trip, wrong passwords, malformed strings.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCRYPT_PARAMS,
  hashPassword,
  parsePasswordHash,
  verifyPassword,
} from '../../../server/security/authentication/password-hash.js';

const CHEAP = { N: 1024, r: 8, p: 1 };

describe('hashPassword / verifyPassword', () => {
  it('produces the self-describing format with the default cost', async () => {
    const hash = await hashPassword('correct horse');
    expect(hash).toMatch(/^scrypt\$N=16384,r=8,p=1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    expect(parsePasswordHash(hash)?.params).toEqual(DEFAULT_SCRYPT_PARAMS);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
  });

  it('rejects a wrong password, and salts every hash differently', async () => {
    const first = await hashPassword('pw', CHEAP);
    const second = await hashPassword('pw', CHEAP);
    expect(first).not.toBe(second);
    expect(await verifyPassword('pw', second)).toBe(true);
    expect(await verifyPassword('pW', first)).toBe(false);
    expect(await verifyPassword('', first)).toBe(false);
  });

  it('reads the cost from the string, so hashes made with other parameters still verify', async () => {
    const hash = await hashPassword('pw', { N: 2048, r: 4, p: 2 });
    expect(hash.startsWith('scrypt$N=2048,r=4,p=2$')).toBe(true);
    expect(await verifyPassword('pw', hash)).toBe(true);
  });

  it('normalizes passwords with NFKC (composed and decomposed forms are the same password)', async () => {
    const hash = await hashPassword('caf\u00e9', CHEAP);
    expect(await verifyPassword('cafe\u0301', hash)).toBe(true);
  });

  it('refuses bad parameters and malformed hashes with specific errors', async () => {
    await expect(hashPassword('pw', { N: 1000, r: 8, p: 1 })).rejects.toThrow(/N must be a power of two/);
    await expect(hashPassword('pw', { N: 2 ** 20, r: 8, p: 1 })).rejects.toThrow(/memory/);
    await expect(verifyPassword('pw', 'hunter2')).rejects.toThrow(/not a Warden password hash/);
    await expect(verifyPassword('pw', 'hunter2')).rejects.not.toThrow(/hunter2/);
  });

  it('parses only well-formed hashes', async () => {
    const good = await hashPassword('pw', CHEAP);
    expect(parsePasswordHash(good)).toBeDefined();
    expect(parsePasswordHash('plaintext-password')).toBeUndefined();
    expect(parsePasswordHash(good.replace('N=1024', 'N=1000'))).toBeUndefined();
    expect(parsePasswordHash(good.replace('scrypt$', 'bcrypt$'))).toBeUndefined();
    const [prefix, params, salt] = good.split('$');
    expect(parsePasswordHash([prefix, params, salt, 'AAAAAAAAAAAA'].join('$'))).toBeUndefined(); // 9-byte key
    expect(parsePasswordHash([prefix, params, salt, 'A'.repeat(42) + '==='].join('$'))).toBeUndefined(); // bad padding
    expect(parsePasswordHash('scrypt$N=1024,r=8,p=1$c2FsdA==$' + 'A'.repeat(43) + '=')).toBeUndefined(); // 4-byte salt
  });
});
