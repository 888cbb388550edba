// An example authentication module written as a user would write one (docs/authentication.md,
// "Writing your own module"). Load it from a config file:
//
//   security:
//     authentication:
//       module: ./modules/static-token-authentication.mjs
//       options:
//         tokens:                        # keep the tokens themselves out of the file:
//           - { token: "${env:SERVICE_TOKEN}", identity: billing-service }
//
// Tokens are values, not map keys: the config loader substitutes ${env:...} and ${file:...} in
// values only (and refuses them in keys), so a map keyed by "${env:SERVICE_TOKEN}" could not work.
// A client logs on with { token: '<token>' } and no user name: the identity comes from the token,
// not from a name the client gives. Anything else is rejected.

import { timingSafeEqual } from 'node:crypto';

function sameSecret(a, b) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function tokenList(list, path) {
  if (!Array.isArray(list) || list.length === 0)
    throw new Error(`${path}: expected a list of { token, identity } entries`);
  return list.map((entry, i) => {
    const { token, identity } = entry ?? {};
    if (typeof token !== 'string' || token === '' || typeof identity !== 'string' || identity === '') {
      throw new Error(`${path}[${i}]: expected { token, identity } with non-empty strings`);
    }
    return [token, identity];
  });
}

export default function createStaticTokenAuthentication(options, context) {
  const tokens = tokenList(options.tokens, `${context.configPath}.options.tokens`);
  return {
    name: 'static-token',
    // Answers may be synchronous or promises; a challenge would be
    // { outcome: 'challenge', data, respond(answer) { ... } }.
    authenticate({ token, mechanism }) {
      if (mechanism !== 'token' || token === undefined) return { outcome: 'reject', reason: 'a token is required' };
      for (const [known, identity] of tokens) {
        if (sameSecret(token, known)) return { outcome: 'accept', identity };
      }
      return { outcome: 'reject', reason: 'unknown token' };
    },
  };
}
