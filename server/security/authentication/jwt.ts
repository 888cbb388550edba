// `jwt`: the client logs on with a signed JSON Web Token (mechanism `token`, or optionally a JWT
// in the password field). The signature, `exp`/`nbf` (with clock tolerance), and the configured
// `iss`/`aud` are checked with jose; the identity is a claim (`sub` by default). If the logon
// also names a user, it must be that identity: a token for alice cannot log on as bob.
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import { booleanField, integerField } from '../../config/fields.js';
import { parseModuleOptions } from '../module-options.js';
import { realTimers } from '../../timers.js';
import type {
  AuthAnswer,
  AuthenticationModule,
  AuthenticationModuleFactory,
  LogonRequest,
  ModuleContext,
} from '../module-types.js';
import { circuitField, DEFAULT_CIRCUIT, MAX_SERVE_STALE_MS } from '../remote-guard.js';
import {
  HMAC_ALGORITHMS,
  MIN_SECRET_BYTES,
  PUBLIC_KEY_ALGORITHMS,
  publicKeyFromFile,
  secretKey,
  type JwtAlgorithm,
  type JwtVerificationKey,
} from './jwt-key.js';
import { JWKS_MAX_AGE_MS, RemoteJwks } from './remote-jwks.js';

/** Real tokens are a few KiB; this bounds the work an unauthenticated client can cause. */
const MAX_TOKEN_CHARS = 16 * 1024;
const MAX_IDENTITY_CHARS = 256;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

const nonEmptyString = (what: string) => z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });
const stringOrList = (what: string) =>
  z.union([nonEmptyString(what), z.array(nonEmptyString(what)).min(1, { error: `expected at least one ${what}` })], {
    error: `expected ${what} or a list of them`,
  });

const jwtOptionsSchema = z
  .strictObject({
    secret: z.string({ error: 'expected a string' }).optional(),
    publicKeyFile: nonEmptyString('a file path').optional(),
    jwksUrl: nonEmptyString('an http:// or https:// URL')
      .refine((text) => /^https?:\/\//.test(text) && URL.canParse(text), {
        error: 'expected an http:// or https:// URL',
      })
      .optional(),
    issuer: stringOrList('an issuer').optional(),
    audience: stringOrList('an audience').optional(),
    algorithms: z
      .array(z.enum([...HMAC_ALGORITHMS, ...PUBLIC_KEY_ALGORITHMS]), { error: 'expected a list of JWS algorithms' })
      .min(1)
      .optional(),
    clockToleranceSec: integerField(0, 3600).default(30),
    identityClaim: nonEmptyString('a claim name').default('sub'),
    acceptTokenInPassword: booleanField().default(false),
    /** Tokens without `exp` would be valid forever; refuse them unless told otherwise. */
    requireExpiration: booleanField().default(true),
    // With jwksUrl only: the fetch's timeout, its circuit breaker, and how long a key set fetched
    // may still be used while fetching fails (docs/authentication.md#circuit-breaker-and-stale-answers).
    jwksTimeoutMs: integerField(1, 300_000).optional(),
    circuit: circuitField().optional(),
    serveStaleMs: integerField(0, MAX_SERVE_STALE_MS).optional(),
  })
  .superRefine((options, ctx) => {
    const sources = [options.secret, options.publicKeyFile, options.jwksUrl].filter((source) => source !== undefined);
    if (sources.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'expected exactly one of `secret`, `publicKeyFile` or `jwksUrl`',
      });
      return;
    }
    if (options.jwksUrl === undefined) {
      for (const key of ['jwksTimeoutMs', 'circuit', 'serveStaleMs'] as const) {
        if (options[key] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [key],
            input: options[key] === null ? false : options[key], // circuit: false reads null here
            message: 'expected only with `jwksUrl`',
          });
      }
    } else if (
      options.serveStaleMs !== undefined &&
      options.serveStaleMs > 0 &&
      options.serveStaleMs <= JWKS_MAX_AGE_MS
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['serveStaleMs'],
        input: options.serveStaleMs,
        message: `expected 0 or more than ${JWKS_MAX_AGE_MS} (a key set is used that long after it was fetched anyway)`,
      });
    }
    const hmac = new Set<string>(HMAC_ALGORITHMS);
    if (options.secret !== undefined) {
      if (Buffer.byteLength(options.secret, 'utf8') < MIN_SECRET_BYTES) {
        ctx.addIssue({
          code: 'custom',
          path: ['secret'],
          message: `expected a secret of at least ${MIN_SECRET_BYTES} bytes`,
        });
      }
      if (options.algorithms?.some((algorithm) => !hmac.has(algorithm))) {
        ctx.addIssue({
          code: 'custom',
          path: ['algorithms'],
          message: `expected only HMAC algorithms (${HMAC_ALGORITHMS.join(', ')}) with \`secret\``,
        });
      }
    } else if (options.algorithms === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['algorithms'],
        message: 'expected a list of algorithms (required with `publicKeyFile` and `jwksUrl`), e.g. [RS256]',
      });
    } else if (options.algorithms.some((algorithm) => hmac.has(algorithm))) {
      ctx.addIssue({
        code: 'custom',
        path: ['algorithms'],
        message: 'expected public-key algorithms only: HMAC algorithms need `secret`',
      });
    }
  });

type JwtOptions = z.output<typeof jwtOptionsSchema>;

export const createJwtAuthentication: AuthenticationModuleFactory = async (options, context) => {
  const parsed = parseModuleOptions(jwtOptionsSchema, options, context);
  const algorithms: readonly JwtAlgorithm[] = parsed.algorithms ?? ['HS256'];
  const jwks =
    parsed.jwksUrl === undefined
      ? null
      : new RemoteJwks(
          new URL(parsed.jwksUrl),
          {
            timeoutMs: parsed.jwksTimeoutMs ?? 5000,
            circuit: parsed.circuit === undefined ? DEFAULT_CIRCUIT : parsed.circuit,
            serveStaleMs: parsed.serveStaleMs ?? 0,
          },
          context,
          () => (context.timers ?? realTimers).now(),
        );
  const key = jwks?.getKey ?? (await verificationKey(parsed, algorithms, context));
  context.log.info(
    {
      algorithms,
      source: parsed.secret !== undefined ? 'secret' : parsed.publicKeyFile !== undefined ? 'publicKeyFile' : 'jwksUrl',
    },
    'jwt authentication module ready',
  );

  const verify = async (token: string, request: LogonRequest): Promise<AuthAnswer> => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [...algorithms],
        issuer: parsed.issuer,
        audience: parsed.audience,
        clockTolerance: parsed.clockToleranceSec,
        requiredClaims: parsed.requireExpiration ? ['exp'] : [],
      }));
    } catch (error) {
      return reject(`token rejected: ${describeJoseError(error)}`);
    }
    const identity = payload[parsed.identityClaim];
    if (typeof identity !== 'string' || identity === '' || identity.length > MAX_IDENTITY_CHARS) {
      return reject(
        `token has no usable "${parsed.identityClaim}" claim (expected a string of 1 to ${MAX_IDENTITY_CHARS} characters)`,
      );
    }
    if (request.user !== '' && request.user !== identity) {
      return reject(
        `logon user ${JSON.stringify(request.user)} differs from the token's ${parsed.identityClaim} ${JSON.stringify(identity)}`,
      );
    }
    return { outcome: 'accept', identity };
  };

  const module: AuthenticationModule = {
    name: 'jwt',
    allowsImplicitLogon: false,
    authenticate(request) {
      const token = tokenOf(request, parsed.acceptTokenInPassword);
      if (typeof token !== 'string') return token;
      if (token.length > MAX_TOKEN_CHARS) return reject(`token longer than ${MAX_TOKEN_CHARS} characters`);
      return verify(token, request);
    },
  };
  // Only a module with a remote key set has a service whose health to report.
  return jwks === null ? module : { ...module, health: () => jwks.health() };
};

/** The token to verify, or the rejection when the logon does not carry one. */
function tokenOf(request: LogonRequest, acceptTokenInPassword: boolean): string | AuthAnswer {
  if (request.mechanism === 'token') {
    return request.token !== undefined && request.token !== '' ? request.token : reject('token logon without a token');
  }
  if (
    request.mechanism === 'password' &&
    acceptTokenInPassword &&
    request.password !== undefined &&
    JWT_SHAPE.test(request.password)
  ) {
    return request.password;
  }
  const wanted = acceptTokenInPassword
    ? 'a token (mechanism "token") or a JWT as the password'
    : 'a token (mechanism "token")';
  return reject(`jwt module needs ${wanted}; got mechanism ${JSON.stringify(String(request.mechanism).slice(0, 64))}`);
}

async function verificationKey(
  options: JwtOptions,
  algorithms: readonly JwtAlgorithm[],
  context: ModuleContext,
): Promise<JwtVerificationKey> {
  if (options.secret !== undefined) return secretKey(options.secret);
  if (options.publicKeyFile !== undefined) {
    return publicKeyFromFile(
      options.publicKeyFile,
      context.baseDir,
      algorithms,
      `${context.configPath}.options.publicKeyFile`,
    );
  }
  throw new Error('internal error: jwt options passed validation without a key source');
}

/** jose's code and message (they name the failed check, never the token's contents). */
function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JOSEError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

function reject(reason: string): AuthAnswer {
  return { outcome: 'reject', reason };
}
