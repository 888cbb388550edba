// An example authentication module written as a user would write one (docs/authentication.md,
// "Writing your own module"). Load it from a config file:
//
//   security:
//     authentication:
//       module: ./modules/static-token-authentication.mjs
//       options:
//         tokens:                        # token -> identity; keep them out of the file:
//           "${env:SERVICE_TOKEN}": billing-service
//
// A client logs on with { user: '', token: '<token>' }: the identity comes from the token, not
// from the name the client gives. Anything else is rejected.

import { timingSafeEqual } from 'node:crypto';

function sameSecret(a, b) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export default function createStaticTokenAuthentication(options, context) {
  const tokens = Object.entries(options.tokens ?? {});
  if (tokens.length === 0) throw new Error(`${context.configPath}.options.tokens: expected at least one token`);
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
