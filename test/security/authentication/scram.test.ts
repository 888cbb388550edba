// SCRAM-SHA-256 building blocks: message parsing, stored credentials, and one server exchange
// checked against RFC 7677's published example and against the client in test/helpers/scram-client.ts.
import { describe, expect, it } from 'vitest';
import { parseScramCredentials, scramCredentials } from '../../../server/security/authentication/scram-credentials.js';
import { beginScramExchange } from '../../../server/security/authentication/scram-exchange.js';
import {
  decodeSaslName,
  encodeSaslName,
  parseClientFinalMessage,
  parseClientFirstMessage,
} from '../../../server/security/authentication/scram-messages.js';
import { scramClient } from '../../helpers/scram-client.js';
import { RFC7677 } from './rfc7677.js';

function firstOf(text: string) {
  const parsed = parseClientFirstMessage(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

describe('SCRAM messages', () => {
  it('parses a client-first-message', () => {
    expect(firstOf(RFC7677.clientFirst)).toEqual({
      gs2Header: 'n,,',
      user: 'user',
      clientNonce: 'rOprNGfwEbeRWgbNEkqO',
      bare: 'n=user,r=rOprNGfwEbeRWgbNEkqO',
    });
    expect(firstOf('y,,n=u,r=abc').gs2Header).toBe('y,,');
    expect(firstOf('n,,n=u,r=abc,x=ignored-extension').clientNonce).toBe('abc');
  });

  it('decodes =2C and =3D in user names and refuses other escapes', () => {
    expect(firstOf('n,,n=a=2Cb=3Dc,r=x').user).toBe('a,b=c');
    expect(decodeSaslName('a=2Cb')).toBe('a,b');
    expect(decodeSaslName('a=2cb')).toBeUndefined();
    expect(decodeSaslName('a=')).toBeUndefined();
    expect(encodeSaslName('a,b=c')).toBe('a=2Cb=3Dc');
  });

  it('refuses channel binding, authzid, mandatory extensions and malformed messages', () => {
    const reasonOf = (text: string) => {
      const parsed = parseClientFirstMessage(text);
      return parsed.ok ? '' : parsed.reason;
    };
    expect(reasonOf('p=tls-server-end-point,,n=u,r=abc')).toMatch(/channel binding/);
    expect(reasonOf('n,a=admin,n=u,r=abc')).toMatch(/authorization identity/);
    expect(reasonOf('n,,m=ext,n=u,r=abc')).toMatch(/mandatory extension/);
    expect(reasonOf('n=u,r=abc')).toMatch(/GS2 header/);
    expect(reasonOf('n,,r=abc,n=u')).toMatch(/not "n=<user>,r=<nonce>"/);
    expect(reasonOf('n,,n=,r=abc')).toMatch(/empty user name/);
    expect(reasonOf('n,,n=u,r=')).toMatch(/nonce/);
    expect(reasonOf(`n,,n=u,r=${'a'.repeat(3000)}`)).toMatch(/longer than/);
  });

  it('parses a client-final-message and refuses a malformed proof', () => {
    const parsed = parseClientFinalMessage(RFC7677.clientFinal);
    expect(parsed.ok && parsed.value.withoutProof).toBe('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
    expect(parseClientFinalMessage('c=biws,r=abc,p=AAAA')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/32 bytes/),
    });
    expect(parseClientFinalMessage('r=abc,c=biws,p=x')).toMatchObject({ ok: false });
  });
});

describe('scramCredentials', () => {
  it('makes PostgreSQL-format credentials that parse back', () => {
    const encoded = scramCredentials('pencil');
    expect(encoded).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$/);
    expect(parseScramCredentials(encoded)?.iterations).toBe(4096);
    expect(scramCredentials('pencil')).not.toBe(encoded); // random salt
    expect(scramCredentials('pencil', 8192).startsWith('SCRAM-SHA-256$8192:')).toBe(true);
  });

  it('refuses fewer than 4096 iterations and malformed strings', () => {
    expect(() => scramCredentials('pencil', 1000)).toThrow(/4096/);
    const encoded = scramCredentials('pencil');
    expect(parseScramCredentials(encoded.replace('$4096:', '$1000:'))).toBeUndefined();
    expect(parseScramCredentials('pencil')).toBeUndefined();
    expect(parseScramCredentials(encoded.replace('SCRAM-SHA-256', 'SCRAM-SHA-1'))).toBeUndefined();
    expect(parseScramCredentials(encoded.slice(0, -10))).toBeUndefined();
  });
});

describe('SCRAM exchange', () => {
  const rfcCredentials = () => {
    const parsed = parseScramCredentials(
      scramCredentials(RFC7677.password, RFC7677.iterations, Buffer.from(RFC7677.salt, 'base64')),
    );
    if (parsed === undefined) throw new Error('credentials do not parse');
    return parsed;
  };

  it('reproduces RFC 7677 section 3 exactly', () => {
    const exchange = beginScramExchange(firstOf(RFC7677.clientFirst), rfcCredentials(), RFC7677.serverNonce);
    expect(exchange.serverFirst).toBe(RFC7677.serverFirst);
    expect(exchange.finish(RFC7677.clientFinal)).toEqual({ ok: true, serverFinal: RFC7677.serverFinal });
  });

  it('agrees with the independent test client, also for a y,, header and an escaped user name', () => {
    for (const [user, header] of [
      ['user', 'n,,'],
      ['a,b=c', 'y,,'],
    ] as const) {
      const client = scramClient(user, RFC7677.password, 'clientNonce123', header);
      const exchange = beginScramExchange(firstOf(client.clientFirst), rfcCredentials(), 'serverNonce456');
      const { clientFinal, expectedServerFinal } = client.final(exchange.serverFirst);
      expect(exchange.finish(clientFinal)).toEqual({ ok: true, serverFinal: expectedServerFinal });
    }
  });

  it('rejects a wrong password, a changed nonce, a changed channel binding, and a second proof', () => {
    const run = (password: string, edit: (clientFinal: string) => string = (text) => text) => {
      const client = scramClient('user', password, 'cn');
      const exchange = beginScramExchange(firstOf(client.clientFirst), rfcCredentials(), 'sn');
      return { exchange, result: exchange.finish(edit(client.final(exchange.serverFirst).clientFinal)) };
    };
    expect(run('pencil2').result).toMatchObject({ ok: false, reason: expect.stringMatching(/proof does not match/) });
    expect(run('pencil', (text) => text.replace('r=cnsn', 'r=cnsX')).result).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/nonce/),
    });
    expect(run('pencil', (text) => text.replace('c=biws', 'c=eSws')).result).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/channel binding/),
    });
    const { exchange } = run('pencil');
    expect(exchange.finish(RFC7677.clientFinal)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/already finished/),
    });
  });
});
