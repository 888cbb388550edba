// The `jwt` authentication module end to end with an HS256 secret: tokens signed in the test with
// jose, logons through the SDK and the raw protocol.
import { SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { expectRawLogonRefused, refusal, useResources } from './helpers.js';

const res = useResources();

const SECRET = 'e2e-test-secret-that-is-long-enough-0123456789';
const OTHER_SECRET = 'another-secret-that-is-also-long-enough-987654';
const ISSUER = 'https://idp.test/';
const AUDIENCE = 'warden';

const now = (): number => Math.floor(Date.now() / 1000);

interface TokenOptions {
  secret?: string;
  alg?: string;
  sub?: string;
  iss?: string;
  aud?: string;
  exp?: number | null;
  nbf?: number;
  claims?: JWTPayload;
}

function token(options: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT({ ...options.claims }).setProtectedHeader({ alg: options.alg ?? 'HS256' }).setIssuedAt();
  if (options.sub !== '') jwt.setSubject(options.sub ?? 'alice');
  jwt.setIssuer(options.iss ?? ISSUER);
  jwt.setAudience(options.aud ?? AUDIENCE);
  if (options.exp !== null) jwt.setExpirationTime(options.exp ?? now() + 600);
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

const jwtBroker = (options: Record<string, unknown> = {}) =>
  res.broker({
    security: {
      authentication: { module: 'jwt', options: { secret: SECRET, issuer: ISSUER, audience: AUDIENCE, ...options } },
    },
  });

describe('jwt authentication (HS256 secret)', () => {
  it('a valid token with an empty user logs on with the identity from `sub`', async () => {
    const tb = await jwtBroker();
    const c = await res.client(tb.url, { user: '', token: await token({ sub: 'alice' }) });
    expect(c.user).toBe('alice');
    expect(await c.ping()).toBeGreaterThanOrEqual(0);
  });

  it('a user name equal to the claim is accepted; another name is refused (a token for alice cannot log on as bob)', async () => {
    const tb = await jwtBroker();
    const alice = await token({ sub: 'alice' });
    expect((await res.client(tb.url, { user: 'alice', token: alice })).user).toBe('alice');
    expect(await refusal(res.client(tb.url, { user: 'bob', token: alice }))).toBe('LOGON_FAILED');
  });

  it('refuses an expired token (beyond the clock tolerance) and accepts one within it', async () => {
    const tb = await jwtBroker();
    expect(await refusal(res.client(tb.url, { user: '', token: await token({ exp: now() - 300 }) }))).toBe(
      'LOGON_FAILED',
    );
    await expectRawLogonRefused(await res.raw(tb.url), { user: '', token: await token({ exp: now() - 300 }) });
    // 5 s ago is inside the default 30 s tolerance.
    expect((await res.client(tb.url, { user: '', token: await token({ exp: now() - 5 }) })).user).toBe('alice');
  });

  it('refuses a token that is not valid yet (nbf in the future)', async () => {
    const tb = await jwtBroker();
    expect(await refusal(res.client(tb.url, { user: '', token: await token({ nbf: now() + 3600 }) }))).toBe(
      'LOGON_FAILED',
    );
  });

  it('refuses a wrong audience and a wrong issuer', async () => {
    const tb = await jwtBroker();
    expect(await refusal(res.client(tb.url, { user: '', token: await token({ aud: 'someone-else' }) }))).toBe(
      'LOGON_FAILED',
    );
    expect(await refusal(res.client(tb.url, { user: '', token: await token({ iss: 'https://evil.test/' }) }))).toBe(
      'LOGON_FAILED',
    );
  });

  it('refuses a bad signature, a tampered payload, an unsigned token and an unlisted algorithm', async () => {
    const tb = await jwtBroker();
    expect(await refusal(res.client(tb.url, { user: '', token: await token({ secret: OTHER_SECRET }) }))).toBe(
      'LOGON_FAILED',
    );

    // alice's signature on a payload that says admin.
    const [header, , signature] = (await token({ sub: 'alice' })).split('.');
    const adminPayload = (await token({ sub: 'admin' })).split('.')[1];
    expect(await refusal(res.client(tb.url, { user: '', token: `${header}.${adminPayload}.${signature}` }))).toBe(
      'LOGON_FAILED',
    );

    const unsigned = new UnsecuredJWT({ sub: 'alice' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('10m')
      .encode();
    expect(await refusal(res.client(tb.url, { user: '', token: unsigned }))).toBe('LOGON_FAILED');

    // Right secret, but HS512 is not in the (default) algorithm list.
    expect(await refusal(res.client(tb.url, { user: '', token: await token({ alg: 'HS512' }) }))).toBe('LOGON_FAILED');
    expect(await refusal(res.client(tb.url, { user: '', token: 'not-a-jwt' }))).toBe('LOGON_FAILED');
  });

  it('refuses a token without exp unless requireExpiration is false', async () => {
    const strict = await jwtBroker();
    expect(await refusal(res.client(strict.url, { user: '', token: await token({ exp: null }) }))).toBe('LOGON_FAILED');
    const lax = await jwtBroker({ requireExpiration: false });
    expect((await res.client(lax.url, { user: '', token: await token({ exp: null }) })).user).toBe('alice');
  });

  it('identityClaim picks the claim that becomes the identity; a token without it is refused', async () => {
    const tb = await jwtBroker({ identityClaim: 'preferred_username' });
    const c = await res.client(tb.url, {
      user: '',
      token: await token({ sub: 'uid-1', claims: { preferred_username: 'alice' } }),
    });
    expect(c.user).toBe('alice');
    expect(await refusal(res.client(tb.url, { user: '', token: await token({ sub: 'uid-1' }) }))).toBe('LOGON_FAILED');
  });

  it('a JWT sent as the password is refused, unless acceptTokenInPassword is on', async () => {
    const jwt = await token({ sub: 'alice' });
    const strict = await jwtBroker();
    expect(await refusal(res.client(strict.url, { user: 'alice', password: jwt }))).toBe('LOGON_FAILED');
    const lax = await jwtBroker({ acceptTokenInPassword: true });
    expect((await res.client(lax.url, { user: 'alice', password: jwt })).user).toBe('alice');
    expect(await refusal(res.client(lax.url, { user: 'alice', password: 'not.a-valid.jwt' }))).toBe('LOGON_FAILED');
  });

  it('refuses SCRAM-SHA-256 and logons without a token', async () => {
    const tb = await jwtBroker();
    expect(await refusal(res.client(tb.url, { user: 'alice', password: 'x', mechanism: 'SCRAM-SHA-256' }))).toBe(
      'LOGON_FAILED',
    );
    expect(await refusal(res.client(tb.url, { user: 'alice' }))).toBe('LOGON_FAILED');
    await expectRawLogonRefused(await res.raw(tb.url), { user: 'alice', token: '' });
  });
});
