// The `jwt` module with real tokens signed by jose: HMAC secret, RSA public key file, and a JWKS
// served by a local HTTP server.
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { createJwtAuthentication } from '../../../server/security/authentication/jwt.js';
import { useTempDirs } from '../../helpers/temp-dir.js';
import { answerOf, configErrorOf, expectAccept, expectReject, logon, moduleContext } from './helpers.js';
import { json, useHttpServers } from './http-server.js';

const temp = useTempDirs();
const serve = useHttpServers();

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const secretBytes = new TextEncoder().encode(SECRET);
const now = () => Math.floor(Date.now() / 1000);

interface TokenFields {
  claims?: JWTPayload;
  alg?: string;
  /** Seconds from now; null: no exp claim. */
  expiresIn?: number | null;
  key?: Parameters<SignJWT['sign']>[0];
  kid?: string;
}

async function token({
  claims = { sub: 'alice' },
  alg = 'HS256',
  expiresIn = 300,
  key = secretBytes,
  kid,
}: TokenFields = {}): Promise<string> {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg, kid }).setIssuedAt();
  if (expiresIn !== null) jwt = jwt.setExpirationTime(now() + expiresIn);
  return jwt.sign(key);
}

const tokenLogon = (jwt: string | undefined, user = '') =>
  logon({ user, password: undefined, token: jwt, mechanism: 'token' });

describe('jwt with an HMAC secret', () => {
  it('accepts a valid token, identity from sub', async () => {
    const module = await createJwtAuthentication({ secret: SECRET }, moduleContext());
    expect(module.allowsImplicitLogon).toBe(false);
    expectAccept(await answerOf(module.authenticate(tokenLogon(await token()))), 'alice');
    expectAccept(await answerOf(module.authenticate(tokenLogon(await token(), 'alice'))), 'alice');
  });

  it('rejects a token whose subject is not the logon user', async () => {
    const module = await createJwtAuthentication({ secret: SECRET }, moduleContext());
    expectReject(
      await answerOf(module.authenticate(tokenLogon(await token(), 'bob'))),
      'logon user "bob" differs from the token\'s sub "alice"',
    );
  });

  it('rejects expired (beyond the tolerance), not-yet-valid and exp-less tokens', async () => {
    const module = await createJwtAuthentication({ secret: SECRET }, moduleContext());
    expectReject(await answerOf(module.authenticate(tokenLogon(await token({ expiresIn: -120 })))), /ERR_JWT_EXPIRED/);
    expectAccept(await answerOf(module.authenticate(tokenLogon(await token({ expiresIn: -10 })))), 'alice'); // within 30 s
    expectReject(
      await answerOf(module.authenticate(tokenLogon(await token({ claims: { sub: 'alice', nbf: now() + 600 } })))),
      /ERR_JWT_CLAIM_VALIDATION_FAILED.*nbf/,
    );
    expectReject(await answerOf(module.authenticate(tokenLogon(await token({ expiresIn: null })))), /"exp" claim/);
    const lenient = await createJwtAuthentication(
      { secret: SECRET, requireExpiration: false, clockToleranceSec: 0 },
      moduleContext(),
    );
    expectAccept(await answerOf(lenient.authenticate(tokenLogon(await token({ expiresIn: null })))), 'alice');
    expectReject(await answerOf(lenient.authenticate(tokenLogon(await token({ expiresIn: -10 })))), /ERR_JWT_EXPIRED/);
  });

  it('checks issuer and audience', async () => {
    const module = await createJwtAuthentication(
      { secret: SECRET, issuer: 'https://idp.example.com', audience: ['warden', 'other'] },
      moduleContext(),
    );
    const good = await token({ claims: { sub: 'alice', iss: 'https://idp.example.com', aud: 'warden' } });
    expectAccept(await answerOf(module.authenticate(tokenLogon(good))), 'alice');
    expectReject(
      await answerOf(
        module.authenticate(
          tokenLogon(await token({ claims: { sub: 'alice', iss: 'https://evil.example.com', aud: 'warden' } })),
        ),
      ),
      /"iss" claim/,
    );
    expectReject(
      await answerOf(
        module.authenticate(
          tokenLogon(await token({ claims: { sub: 'alice', iss: 'https://idp.example.com', aud: 'someone-else' } })),
        ),
      ),
      /"aud" claim/,
    );
    expectReject(await answerOf(module.authenticate(tokenLogon(await token({ claims: { sub: 'alice' } })))), /claim/);
  });

  it('rejects a bad signature, a disallowed algorithm, garbage and alg none', async () => {
    const module = await createJwtAuthentication({ secret: SECRET }, moduleContext());
    const forged = await token({ key: new TextEncoder().encode('another-secret-that-is-32-bytes-long!') });
    expectReject(await answerOf(module.authenticate(tokenLogon(forged))), /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
    expectReject(
      await answerOf(module.authenticate(tokenLogon(await token({ alg: 'HS512' })))),
      /ERR_JOSE_ALG_NOT_ALLOWED/,
    );
    expectReject(await answerOf(module.authenticate(tokenLogon('not.a.jwt'))), /token rejected/);
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(`{"sub":"alice","exp":${now() + 60}}`).toString('base64url')}.`;
    expectReject(await answerOf(module.authenticate(tokenLogon(unsigned))), /token rejected/);
  });

  it('uses identityClaim and rejects a token without a usable one', async () => {
    const module = await createJwtAuthentication(
      { secret: SECRET, identityClaim: 'preferred_username' },
      moduleContext(),
    );
    expectAccept(
      await answerOf(
        module.authenticate(tokenLogon(await token({ claims: { sub: '123', preferred_username: 'carol' } }))),
      ),
      'carol',
    );
    expectReject(
      await answerOf(module.authenticate(tokenLogon(await token({ claims: { sub: '123' } })))),
      /no usable "preferred_username" claim/,
    );
    expectReject(
      await answerOf(module.authenticate(tokenLogon(await token({ claims: { sub: '123', preferred_username: 7 } })))),
      /no usable/,
    );
  });

  it('takes a JWT from the password only when acceptTokenInPassword is true', async () => {
    const jwt = await token();
    const strict = await createJwtAuthentication({ secret: SECRET }, moduleContext());
    expectReject(
      await answerOf(strict.authenticate(logon({ user: 'alice', password: jwt }))),
      /needs a token \(mechanism "token"\); got mechanism "password"/,
    );
    const lenient = await createJwtAuthentication({ secret: SECRET, acceptTokenInPassword: true }, moduleContext());
    expectAccept(await answerOf(lenient.authenticate(logon({ user: 'alice', password: jwt }))), 'alice');
    expectReject(
      await answerOf(lenient.authenticate(logon({ user: 'alice', password: 'plain password' }))),
      /or a JWT as the password/,
    );
  });

  it('rejects token logons without a token, implicit logons and oversized tokens', async () => {
    const module = await createJwtAuthentication({ secret: SECRET }, moduleContext());
    expectReject(await answerOf(module.authenticate(tokenLogon(undefined))), 'token logon without a token');
    expectReject(
      await answerOf(module.authenticate(logon({ user: '', password: undefined, mechanism: 'implicit' }))),
      /got mechanism "implicit"/,
    );
    expectReject(await answerOf(module.authenticate(tokenLogon('a'.repeat(20_000)))), /longer than 16384/);
  });
});

describe('jwt with a public key file', () => {
  it('verifies RS256 tokens with an SPKI PEM file relative to the config directory', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const dir = temp();
    dir.write('jwt.pub.pem', await exportSPKI(publicKey));
    const module = await createJwtAuthentication(
      { publicKeyFile: 'jwt.pub.pem', algorithms: ['RS256'], audience: 'warden' },
      moduleContext(dir.path),
    );
    expectAccept(
      await answerOf(
        module.authenticate(
          tokenLogon(await token({ alg: 'RS256', key: privateKey, claims: { sub: 'dave', aud: 'warden' } })),
        ),
      ),
      'dave',
    );
    expectReject(
      await answerOf(
        module.authenticate(tokenLogon(await token({ alg: 'HS256', claims: { sub: 'dave', aud: 'warden' } }))),
      ),
      /ERR_JOSE_ALG_NOT_ALLOWED/,
    );
    const other = await generateKeyPair('RS256');
    expectReject(
      await answerOf(
        module.authenticate(
          tokenLogon(await token({ alg: 'RS256', key: other.privateKey, claims: { sub: 'dave', aud: 'warden' } })),
        ),
      ),
      /signature verification failed/,
    );
  });

  it('refuses a missing file, a private key, a key that does not fit the algorithms', async () => {
    const dir = temp();
    const missing = await configErrorOf(() =>
      createJwtAuthentication({ publicKeyFile: 'nope.pem', algorithms: ['RS256'] }, moduleContext(dir.path)),
    );
    expect(missing.issues[0]).toMatchObject({
      path: 'security.authentication.options.publicKeyFile',
      message: expect.stringMatching(/cannot read public key file .*ENOENT/),
    });

    const rsa = await generateKeyPair('RS256', { extractable: true });
    dir.write('private.pem', await exportPKCS8(rsa.privateKey));
    const privateError = await configErrorOf(() =>
      createJwtAuthentication({ publicKeyFile: 'private.pem', algorithms: ['RS256'] }, moduleContext(dir.path)),
    );
    expect(privateError.issues[0].message).toMatch(/holds a private key/);

    dir.write('rsa.pem', await exportSPKI(rsa.publicKey));
    const mismatch = await configErrorOf(() =>
      createJwtAuthentication({ publicKeyFile: 'rsa.pem', algorithms: ['RS256', 'ES256'] }, moduleContext(dir.path)),
    );
    expect(mismatch.issues[0].message).toMatch(/the rsa key in .* cannot verify ES256/);

    dir.write('junk.pem', 'not a key');
    const junk = await configErrorOf(() =>
      createJwtAuthentication({ publicKeyFile: 'junk.pem', algorithms: ['RS256'] }, moduleContext(dir.path)),
    );
    expect(junk.issues[0].message).toMatch(/expected a PEM public key/);
  });
});

describe('jwt with a JWKS URL', () => {
  it('fetches the key set and verifies with the key the token names', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const server = await serve((_request, _body, response) => json(response, 200, { keys: [jwk] }));
    const module = await createJwtAuthentication({ jwksUrl: server.url, algorithms: ['ES256'] }, moduleContext());
    expectAccept(
      await answerOf(
        module.authenticate(
          tokenLogon(await token({ alg: 'ES256', key: privateKey, kid: 'k1', claims: { sub: 'erin' } })),
        ),
      ),
      'erin',
    );
    expectReject(
      await answerOf(
        module.authenticate(
          tokenLogon(await token({ alg: 'ES256', key: privateKey, kid: 'unknown', claims: { sub: 'erin' } })),
        ),
      ),
      /ERR_JWKS_NO_MATCHING_KEY/,
    );
    expect(server.requests.length).toBeGreaterThanOrEqual(1);
  });

  it('fails closed when the key set cannot be fetched', async () => {
    const server = await serve((_request, _body, response) => json(response, 500, {}));
    const module = await createJwtAuthentication({ jwksUrl: server.url, algorithms: ['RS256'] }, moduleContext());
    const { privateKey } = await generateKeyPair('RS256');
    expectReject(
      await answerOf(module.authenticate(tokenLogon(await token({ alg: 'RS256', key: privateKey })))),
      /token rejected/,
    );
  });
});

describe('jwt options', () => {
  const issuesOf = async (options: Record<string, unknown>) =>
    (await configErrorOf(() => createJwtAuthentication(options, moduleContext()))).issues;

  it('needs exactly one key source', async () => {
    expect((await issuesOf({}))[0]).toMatchObject({
      path: 'security.authentication.options',
      message: expect.stringMatching(/exactly one of `secret`, `publicKeyFile` or `jwksUrl`/),
    });
    expect((await issuesOf({ secret: SECRET, jwksUrl: 'https://idp.example.com/jwks' }))[0].message).toMatch(
      /exactly one/,
    );
  });

  it('needs a secret of 32 bytes or more, and never shows it', async () => {
    const [issue] = await issuesOf({ secret: 'short-secret' });
    expect(issue.path).toBe('security.authentication.options.secret');
    expect(issue.message).toMatch(/at least 32 bytes, got <secret>/);
  });

  it('matches algorithms to the key source', async () => {
    expect((await issuesOf({ secret: SECRET, algorithms: ['RS256'] }))[0]).toMatchObject({
      path: 'security.authentication.options.algorithms',
      message: expect.stringMatching(/only HMAC algorithms/),
    });
    expect((await issuesOf({ jwksUrl: 'https://idp.example.com/jwks' }))[0]).toMatchObject({
      path: 'security.authentication.options.algorithms',
      message: expect.stringMatching(/required with `publicKeyFile` and `jwksUrl`/),
    });
    expect((await issuesOf({ jwksUrl: 'https://idp.example.com/jwks', algorithms: ['HS256'] }))[0].message).toMatch(
      /HMAC algorithms need `secret`/,
    );
    expect((await issuesOf({ secret: SECRET, algorithms: ['none'] }))[0].path).toBe(
      'security.authentication.options.algorithms[0]',
    );
  });

  it('checks the other options', async () => {
    expect((await issuesOf({ jwksUrl: 'ftp://x', algorithms: ['RS256'] }))[0].path).toBe(
      'security.authentication.options.jwksUrl',
    );
    expect((await issuesOf({ secret: SECRET, clockToleranceSec: -1 }))[0].path).toBe(
      'security.authentication.options.clockToleranceSec',
    );
    expect((await issuesOf({ secret: SECRET, issuer: 5 }))[0].path).toBe('security.authentication.options.issuer');
    expect((await issuesOf({ secret: SECRET, identityclaim: 'sub' }))[0].message).toMatch(
      /did you mean "identityClaim"/,
    );
  });
});
