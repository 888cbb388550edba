// `allow-any`, the default (AMPS's amps-default-authentication-module): a logon is required,
// any credentials are accepted and the connection gets the user name it gave.
import type { AuthAnswer, AuthenticationModule, AuthenticationModuleFactory, LogonRequest } from '../module-types.js';
import { expectNoOptions } from './no-options.js';

export const createAllowAnyAuthentication: AuthenticationModuleFactory = (options, context) => {
  expectNoOptions(options, context);
  return anyCredentialsModule('allow-any', false);
};

/** Shared with `implicit`, which differs only in allowing the implicit logon. */
export function anyCredentialsModule(name: string, allowsImplicitLogon: boolean): AuthenticationModule {
  return {
    name,
    allowsImplicitLogon,
    authenticate(request: LogonRequest): AuthAnswer {
      if (request.mechanism === 'implicit') {
        return allowsImplicitLogon
          ? { outcome: 'accept', identity: '' }
          : { outcome: 'reject', reason: `${name} module requires a logon (implicit logon is not allowed)` };
      }
      // SCRAM proves knowledge of a stored secret; with no store there is nothing to prove against.
      if (request.mechanism === 'SCRAM-SHA-256')
        return { outcome: 'reject', reason: `${name} module has no password store, so it cannot do SCRAM-SHA-256` };
      return { outcome: 'accept', identity: request.user };
    },
  };
}
