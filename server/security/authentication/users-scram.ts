// SCRAM-SHA-256 logons of the `users` module, over the broker's challenge flow:
//   logon (data: client-first) -> challenge (data: server-first) -> respond(client-final) -> accept (data: v=...)
//
// Unknown users and users without SCRAM credentials get a challenge all the same, built from
// decoy credentials, and fail only at the proof (RFC 5802 section 9), so the exchange does not
// reveal which names exist.
import type { AuthAnswer, LogonRequest } from '../module-types.js';
import { beginScramExchange, decoyScramCredentials } from './scram-exchange.js';
import { isScramNonce, parseClientFirstMessage } from './scram-messages.js';
import type { UserRecord } from './user-entries.js';

export interface ScramLogonSetup {
  readonly users: ReadonlyMap<string, UserRecord>;
  readonly serverNonce: () => string;
  /** Seeds the decoy salts, so they stay the same for a name across attempts. */
  readonly decoySecret: Buffer;
  /** The decoys' iteration count: what real users most likely have, so decoys do not stand out. */
  readonly decoyIterations: number;
  /** Undefined if the user may connect from the request's address, else the rejection. */
  hostCheck(user: UserRecord, remoteAddress: string): Promise<AuthAnswer | undefined>;
}

export function scramLogon(request: LogonRequest, setup: ScramLogonSetup): AuthAnswer {
  if (request.data === undefined || request.data === '')
    return reject('SCRAM-SHA-256 logon without a client-first-message');
  const parsed = parseClientFirstMessage(request.data);
  if (!parsed.ok) return reject(parsed.reason);
  const clientFirst = parsed.value;
  // The logon's user field is optional with SCRAM; if given it must be the name being proven.
  if (request.user !== '' && request.user !== clientFirst.user) {
    return reject(
      `logon user ${JSON.stringify(request.user)} differs from SCRAM user ${JSON.stringify(clientFirst.user)}`,
    );
  }
  const serverNonce = setup.serverNonce();
  if (!isScramNonce(serverNonce))
    throw new Error('internal error: the SCRAM server nonce must be printable ASCII without ","');

  const user = setup.users.get(clientFirst.user);
  const credentials = user?.scram ?? decoyScramCredentials(clientFirst.user, setup.decoySecret, setup.decoyIterations);
  const exchange = beginScramExchange(clientFirst, credentials, serverNonce);

  return {
    outcome: 'challenge',
    data: exchange.serverFirst,
    async respond(clientFinal: string): Promise<AuthAnswer> {
      const result = exchange.finish(clientFinal);
      if (user === undefined) return reject(`unknown user ${JSON.stringify(clientFirst.user)} (SCRAM-SHA-256)`);
      if (user.scram === undefined) return reject(`user ${JSON.stringify(user.name)} has no SCRAM-SHA-256 credentials`);
      if (!result.ok) return reject(`${result.reason} for user ${JSON.stringify(user.name)}`);
      return (
        (await setup.hostCheck(user, request.remoteAddress)) ?? {
          outcome: 'accept',
          identity: user.name,
          data: result.serverFinal,
        }
      );
    },
  };
}

function reject(reason: string): AuthAnswer {
  return { outcome: 'reject', reason };
}
