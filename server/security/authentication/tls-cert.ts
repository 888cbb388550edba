// `tls-cert`: the client certificate is the credential (AMQ Interconnect, "Adding SSL/TLS Client
// Authentication to an Incoming Connection": "the router can verify the client's identity without
// using a username and password"). The TLS layer has already verified the certificate against the
// listener profile's CAs; this module maps it to an identity (the subject CN, or a subjectAltName)
// and decides what a user name or password sent in the logon means (`mode`):
//
//   certificate-only  the certificate alone; a user name, if given, must be the certificate's
//                     identity; a password or token is not looked at
//   certificate-wins  the certificate alone; any user name is ignored (clients that must send one)
//   must-match        two factors: the `credentials` module (e.g. users) must accept the logon,
//                     and the identity it answers must be the certificate's
import { z } from 'zod';
import { isPromiseLike } from '../decision.js';
import { parseModuleOptions } from '../module-options.js';
import type {
  AuthAnswer,
  AuthenticationModule,
  AuthenticationModuleFactory,
  LogonRequest,
  MaybePromise,
  ModuleContext,
} from '../module-types.js';
import type { TlsPeerCertificate } from '../../tls/peer-certificate.js';

export const TLS_CERT_IDENTITY_SOURCES = ['subject-cn', 'san-dns', 'san-email', 'san-uri'] as const;
export const TLS_CERT_MODES = ['certificate-only', 'certificate-wins', 'must-match'] as const;
type IdentitySource = (typeof TLS_CERT_IDENTITY_SOURCES)[number];
type Mode = (typeof TLS_CERT_MODES)[number];

/** Mechanisms whose credentials the certificate modes may ignore; SCRAM expects a proof this module cannot give. */
const CERTIFICATE_MECHANISMS: ReadonlySet<string> = new Set(['password', 'token', 'EXTERNAL']);

const credentialsSchema = z.strictObject({
  module: z
    .string({ error: 'expected a built-in module name or a path to an ESM file' })
    .min(1, { error: 'expected a built-in module name or a path to an ESM file' }),
  options: z.record(z.string(), z.unknown(), { error: 'expected a map of module options' }).default({}),
});

const tlsCertOptionsSchema = z
  .strictObject({
    identity: z.enum(TLS_CERT_IDENTITY_SOURCES).default('subject-cn'),
    mode: z.enum(TLS_CERT_MODES).default('certificate-only'),
    /** must-match only: the module that checks the logon's user name and password. */
    credentials: credentialsSchema.optional(),
  })
  .superRefine((options, ctx) => {
    if (options.mode === 'must-match' && options.credentials === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['credentials'],
        message: 'expected { module, options } for mode must-match: the module that checks the password',
      });
    }
    if (options.mode !== 'must-match' && options.credentials !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['credentials'],
        message: `expected no credentials module with mode ${options.mode} (only must-match checks a password)`,
      });
    }
  });

/** Loads the `credentials` module as any configured module is loaded (built-in name or file). */
export type LoadAuthenticationModule = (
  spec: { module: string; options: Record<string, unknown> },
  context: ModuleContext,
) => Promise<AuthenticationModule>;

export function makeTlsCertAuthenticationFactory(load: LoadAuthenticationModule): AuthenticationModuleFactory {
  return async (options, context) => {
    const { identity, mode, credentials } = parseModuleOptions(tlsCertOptionsSchema, options, context);
    const checker =
      credentials === undefined
        ? null
        : await load(credentials, {
            ...context,
            configPath: `${context.configPath}.options.credentials`,
            log: context.log.child({ module: credentials.module }),
          });
    return tlsCertModule(identity, mode, checker);
  };
}

function tlsCertModule(
  source: IdentitySource,
  mode: Mode,
  credentials: AuthenticationModule | null,
): AuthenticationModule {
  return {
    name: 'tls-cert',
    allowsImplicitLogon: false,
    authenticate(request: LogonRequest): MaybePromise<AuthAnswer> {
      if (request.mechanism === 'implicit')
        return reject('the tls-cert module requires a logon (implicit logon is not allowed)');
      const certificate = request.peerCertificate;
      if (certificate === undefined)
        return reject('no verified client certificate (the listener needs tls.requireClientCertificate: true)');
      const identity = identityOf(certificate, source);
      if (identity === undefined) return reject(`the client certificate has no ${describe(source)}`);
      if (mode === 'must-match') return matching(credentials!.authenticate(request), identity);
      if (!CERTIFICATE_MECHANISMS.has(request.mechanism))
        return reject(`mechanism ${request.mechanism} is not used with the tls-cert module (mode ${mode})`);
      if (mode === 'certificate-only' && request.user !== '' && request.user !== identity) {
        return reject(
          `user name ${JSON.stringify(request.user)} is not the client certificate's identity ${JSON.stringify(identity)}`,
        );
      }
      return { outcome: 'accept', identity };
    },
    close: () => credentials?.close?.(),
  };
}

/** The first name of the chosen kind; a CN that appears more than once counts as none. */
function identityOf(certificate: TlsPeerCertificate, source: IdentitySource): string | undefined {
  const name =
    source === 'subject-cn'
      ? certificate.commonName
      : source === 'san-dns'
        ? certificate.dnsNames[0]
        : source === 'san-email'
          ? certificate.emailAddresses[0]
          : certificate.uris[0];
  return name === '' ? undefined : name;
}

function describe(source: IdentitySource): string {
  switch (source) {
    case 'subject-cn':
      return 'single subject CN';
    case 'san-dns':
      return 'DNS subjectAltName';
    case 'san-email':
      return 'email subjectAltName';
    case 'san-uri':
      return 'URI subjectAltName';
  }
}

/** must-match: the credentials module's answer stands only if its identity is the certificate's, through any challenges. */
function matching(answer: MaybePromise<AuthAnswer>, identity: string): MaybePromise<AuthAnswer> {
  return isPromiseLike(answer)
    ? Promise.resolve(answer).then((settled) => matched(settled, identity))
    : matched(answer, identity);
}

function matched(answer: AuthAnswer, identity: string): AuthAnswer {
  switch (answer.outcome) {
    case 'accept':
      return answer.identity === identity
        ? answer
        : reject(
            `the logon's identity ${JSON.stringify(answer.identity)} is not the client certificate's identity ${JSON.stringify(identity)}`,
          );
    case 'challenge':
      return {
        outcome: 'challenge',
        data: answer.data,
        respond: (response) => matching(answer.respond(response), identity),
      };
    default:
      return answer;
  }
}

function reject(reason: string): AuthAnswer {
  return { outcome: 'reject', reason };
}
