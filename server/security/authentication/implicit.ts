// `implicit` (AMPS's amps-implicit-authentication-module): like allow-any, but a command sent
// before any logon counts as a logon with an empty user name, for clients that never log on.
import type { AuthenticationModuleFactory } from '../module-types.js';
import { anyCredentialsModule } from './allow-any.js';
import { expectNoOptions } from './no-options.js';

export const createImplicitAuthentication: AuthenticationModuleFactory = (options, context) => {
  expectNoOptions(options, context);
  return anyCredentialsModule('implicit', true);
};
