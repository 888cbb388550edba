// The built-in authentication modules, by the name a config gives in `module:`, and the
// password tools `warden passwd` uses.
import type { AuthenticationModule, AuthenticationModuleFactory } from '../module-types.js';
import { loadModule } from '../module-loader.js';
import { createAllowAnyAuthentication } from './allow-any.js';
import { createDenyAllAuthentication } from './deny-all.js';
import { createHttpAuthentication } from './http.js';
import { createImplicitAuthentication } from './implicit.js';
import { createJwtAuthentication } from './jwt.js';
import { makeTlsCertAuthenticationFactory } from './tls-cert.js';
import { createUsersAuthentication } from './users.js';

// No prototype: a configured name like `constructor` or `toString` must find nothing.
const builtins = Object.create(null) as Record<string, AuthenticationModuleFactory>;
Object.assign(builtins, {
  'allow-any': createAllowAnyAuthentication,
  implicit: createImplicitAuthentication,
  'deny-all': createDenyAllAuthentication,
  users: createUsersAuthentication,
  http: createHttpAuthentication,
  jwt: createJwtAuthentication,
  // Its must-match mode loads a second module (the one that checks passwords) like any other.
  'tls-cert': makeTlsCertAuthenticationFactory((spec, context) =>
    loadModule<AuthenticationModule>(
      { kind: 'authentication', builtins, requiredMethods: ['authenticate'] },
      spec,
      context,
    ),
  ),
});

export const BUILTIN_AUTHENTICATION_MODULES: Readonly<Record<string, AuthenticationModuleFactory>> =
  Object.freeze(builtins);

/** The module used when the config names none. */
export const DEFAULT_AUTHENTICATION_MODULE = 'allow-any';

export { createAllowAnyAuthentication } from './allow-any.js';
export { createDenyAllAuthentication } from './deny-all.js';
export { createHttpAuthentication } from './http.js';
export { createImplicitAuthentication } from './implicit.js';
export { createJwtAuthentication } from './jwt.js';
export {
  createUsersAuthentication,
  makeUsersAuthenticationFactory,
  type UsersAuthenticationModule,
  type UsersModuleDependencies,
} from './users.js';
export { DEFAULT_SCRYPT_PARAMS, hashPassword, verifyPassword, type ScryptParams } from './password-hash.js';
export { scramCredentials } from './scram-credentials.js';
