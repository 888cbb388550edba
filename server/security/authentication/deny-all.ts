// `deny-all` (AMPS's amps-default-no-authentication-module): every logon fails. Useful to test
// how applications handle refusal, or as the instance default that each listener must override.
import type { AuthenticationModuleFactory } from '../module-types.js';
import { expectNoOptions } from './no-options.js';

export const DENY_ALL_REASON = 'deny-all module refuses every logon';

export const createDenyAllAuthentication: AuthenticationModuleFactory = (options, context) => {
  expectNoOptions(options, context);
  return {
    name: 'deny-all',
    allowsImplicitLogon: false,
    authenticate: () => ({ outcome: 'reject', reason: DENY_ALL_REASON }),
  };
};
