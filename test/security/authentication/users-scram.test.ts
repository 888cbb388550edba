// SCRAM-SHA-256 logons through the `users` module's challenge flow, against RFC 7677's example
// (with the server nonce injected) and the independent client in test/helpers/scram-client.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import type { HostNameResolver } from '../../../server/security/authentication/host-access.js';
import { hashPassword } from '../../../server/security/authentication/password-hash.js';
import { scramCredentials } from '../../../server/security/authentication/scram-credentials.js';
import {
  makeUsersAuthenticationFactory,
  type UsersAuthenticationModule,
} from '../../../server/security/authentication/users.js';
import type { AuthAnswer } from '../../../server/security/module-types.js';
import { scramClient } from '../../helpers/scram-client.js';
import { answerOf, expectAccept, expectReject, logon, moduleContext } from './helpers.js';
import { RFC7677 } from './rfc7677.js';

const SCRAM = 'SCRAM-SHA-256';
let hash: string;

beforeAll(async () => {
  hash = await hashPassword('unused', { N: 1024, r: 8, p: 1 });
});

async function scramModule(
  options: Record<string, unknown> = {},
  serverNonce?: () => string,
  resolveHostNames?: HostNameResolver,
): Promise<UsersAuthenticationModule> {
  return makeUsersAuthenticationFactory({ serverNonce, resolveHostNames })(
    {
      users: [
        {
          name: 'user',
          hash,
          scram: scramCredentials(RFC7677.password, RFC7677.iterations, Buffer.from(RFC7677.salt, 'base64')),
        },
        { name: 'a,b=c', hash, scram: scramCredentials('pencil', 8192), hosts: ['10.0.0.0/8'] },
        { name: 'noscram', hash },
      ],
      ...options,
    },
    moduleContext(),
  );
}

function challengeOf(answer: AuthAnswer) {
  if (answer.outcome !== 'challenge') throw new Error(`expected a challenge, got ${JSON.stringify(answer)}`);
  return answer;
}

async function scramLogon(
  module: UsersAuthenticationModule,
  user: string,
  password: string,
  fields: { logonUser?: string; remoteAddress?: string } = {},
) {
  const client = scramClient(user, password, 'fyko+d2lbbFgONRv9qkxdawL');
  const challenge = challengeOf(
    await answerOf(
      module.authenticate(
        logon({
          user: fields.logonUser ?? user,
          password: undefined,
          mechanism: SCRAM,
          data: client.clientFirst,
          remoteAddress: fields.remoteAddress,
        }),
      ),
    ),
  );
  const { clientFinal, expectedServerFinal } = client.final(challenge.data);
  return { answer: await answerOf(challenge.respond(clientFinal)), expectedServerFinal, serverFirst: challenge.data };
}

describe('users: SCRAM-SHA-256', () => {
  it('runs RFC 7677 section 3 byte for byte', async () => {
    const module = await scramModule({}, () => RFC7677.serverNonce);
    const challenge = challengeOf(
      await answerOf(
        module.authenticate(logon({ user: 'user', password: undefined, mechanism: SCRAM, data: RFC7677.clientFirst })),
      ),
    );
    expect(challenge.data).toBe(RFC7677.serverFirst);
    expect(await answerOf(challenge.respond(RFC7677.clientFinal))).toEqual({
      outcome: 'accept',
      identity: 'user',
      data: RFC7677.serverFinal,
    });
  });

  it('completes a full exchange with a random server nonce; an empty logon user takes the SCRAM one', async () => {
    const module = await scramModule();
    const { answer, expectedServerFinal, serverFirst } = await scramLogon(module, 'user', 'pencil', { logonUser: '' });
    expect(serverFirst).toMatch(/^r=fyko\+d2lbbFgONRv9qkxdawL[A-Za-z0-9+/]{24},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096$/);
    expect(answer).toEqual({ outcome: 'accept', identity: 'user', data: expectedServerFinal });
  });

  it('decodes an escaped user name and enforces its host list after the proof', async () => {
    const module = await scramModule();
    expectAccept((await scramLogon(module, 'a,b=c', 'pencil', { remoteAddress: '10.0.0.9' })).answer, 'a,b=c');
    expectReject(
      (await scramLogon(module, 'a,b=c', 'pencil', { remoteAddress: '192.0.2.1' })).answer,
      /host access list/,
    );
    const lenient = await scramModule({ passwordCheckOnly: true });
    expectAccept((await scramLogon(lenient, 'a,b=c', 'pencil', { remoteAddress: '192.0.2.1' })).answer, 'a,b=c');
  });

  it('rejects a wrong proof', async () => {
    const module = await scramModule();
    expectReject(
      (await scramLogon(module, 'user', 'pencil!')).answer,
      /SCRAM proof does not match \(wrong password\) for user "user"/,
    );
  });

  it('challenges unknown users and users without SCRAM credentials like real ones, then rejects', async () => {
    const module = await scramModule();
    const unknown = await scramLogon(module, 'ghost', 'pencil');
    expect(unknown.serverFirst).toMatch(/^r=.+,s=[A-Za-z0-9+/]{22}==,i=4096$/);
    expectReject(unknown.answer, /unknown user "ghost"/);
    // the decoy salt is stable for a name, as a real one would be
    expect((await scramLogon(module, 'ghost', 'x')).serverFirst.split(',')[1]).toBe(unknown.serverFirst.split(',')[1]);
    expectReject(
      (await scramLogon(module, 'noscram', 'pencil')).answer,
      /user "noscram" has no SCRAM-SHA-256 credentials/,
    );
  });

  it('refuses channel binding, a mismatched logon user, a missing client-first-message, and a second proof', async () => {
    const module = await scramModule();
    const scramRequest = (data: string | undefined, user = 'user') =>
      module.authenticate(logon({ user, password: undefined, mechanism: SCRAM, data }));
    expectReject(await answerOf(scramRequest('p=tls-unique,,n=user,r=abc')), /channel binding/);
    expectReject(
      await answerOf(scramRequest('n,,n=user,r=abc', 'other')),
      /logon user "other" differs from SCRAM user "user"/,
    );
    expectReject(await answerOf(scramRequest(undefined)), /without a client-first-message/);

    const client = scramClient('user', 'pencil', 'nonce1');
    const challenge = challengeOf(await answerOf(scramRequest(client.clientFirst)));
    const { clientFinal } = client.final(challenge.data);
    expect((await answerOf(challenge.respond(clientFinal))).outcome).toBe('accept');
    expectReject(await answerOf(challenge.respond(clientFinal)), /already finished/);
  });

  it('accepts the y,, GS2 header (client could bind, server does not offer it)', async () => {
    const module = await scramModule();
    const client = scramClient('user', 'pencil', 'nonceY', 'y,,');
    const challenge = challengeOf(
      await answerOf(
        module.authenticate(logon({ user: 'user', password: undefined, mechanism: SCRAM, data: client.clientFirst })),
      ),
    );
    expectAccept(await answerOf(challenge.respond(client.final(challenge.data).clientFinal)), 'user');
  });
});
