// The SDK's SCRAM-SHA-256 client (client/scram.ts) as pure functions: RFC 7677's test vector, and
// the checks that refuse a malformed, hostile or fake server's messages.
import { describe, expect, it } from 'vitest';
import { ClientErrorCodes, WardenError } from '../../client/index.js';
import {
  SCRAM_MAX_ITERATIONS,
  SCRAM_MIN_ITERATIONS,
  ScramSha256Client,
  escapeSaslName,
  generateNonce,
  parseServerFirst,
} from '../../client/scram.js';

// RFC 7677, section 3.
const VECTOR = {
  user: 'user',
  password: 'pencil',
  clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};
const SERVER_NONCE = `${VECTOR.clientNonce}%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0`;
const SALT = 'W22ZaJ0SNY7soEsUEjb6gQ==';

/** Settles with the error `run` throws or rejects with (no broker import: these tests are pure). */
async function rejectionOf(run: Promise<unknown>): Promise<unknown> {
  try {
    await run;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

/** Expects `run` to fail with a SERVER_AUTHENTICATION_FAILED WardenError whose message matches `message`. */
async function expectServerAuthFailure(run: () => unknown, message: RegExp): Promise<void> {
  const error = await rejectionOf((async () => run())());
  expect(error).toBeInstanceOf(WardenError);
  expect(error).toMatchObject({ code: ClientErrorCodes.SERVER_AUTHENTICATION_FAILED, cmd: 'logon' });
  expect((error as WardenError).message).toMatch(message);
}

describe('SCRAM-SHA-256 client: RFC 7677 test vector', () => {
  it('builds the client-first-message', () => {
    const scram = new ScramSha256Client(VECTOR.user, VECTOR.password, VECTOR.clientNonce);
    expect(scram.clientFirstMessage).toBe(VECTOR.clientFirst);
  });

  it('computes the client-final-message and accepts the server signature', async () => {
    const scram = new ScramSha256Client(VECTOR.user, VECTOR.password, VECTOR.clientNonce);
    expect(await scram.clientFinalMessage(VECTOR.serverFirst)).toBe(VECTOR.clientFinal);
    await expect(scram.verifyServerFinal(VECTOR.serverFinal)).resolves.toBeUndefined();
  });

  it('accepts extensions after the server signature', async () => {
    const scram = new ScramSha256Client(VECTOR.user, VECTOR.password, VECTOR.clientNonce);
    await scram.clientFinalMessage(`${VECTOR.serverFirst},x=ext`);
    // A different server-first changes the AuthMessage, so the vector's signature no longer fits.
    await expectServerAuthFailure(() => scram.verifyServerFinal(VECTOR.serverFinal), /server signature is wrong/);
  });

  it('normalizes the password with NFKC (the SASLprep simplification)', async () => {
    // Fullwidth letters map to ASCII under NFKC, so this is the vector's "pencil".
    const scram = new ScramSha256Client(VECTOR.user, '\uff50\uff45\uff4e\uff43\uff49\uff4c', VECTOR.clientNonce);
    expect(await scram.clientFinalMessage(VECTOR.serverFirst)).toBe(VECTOR.clientFinal);
  });

  it('a different password gives a different proof', async () => {
    const scram = new ScramSha256Client(VECTOR.user, 'pencil2', VECTOR.clientNonce);
    const final = await scram.clientFinalMessage(VECTOR.serverFirst);
    expect(final.startsWith(`c=biws,r=${SERVER_NONCE},p=`)).toBe(true);
    expect(final).not.toBe(VECTOR.clientFinal);
  });
});

describe('SCRAM-SHA-256 client: server signature', () => {
  async function afterClientFinal(): Promise<ScramSha256Client> {
    const scram = new ScramSha256Client(VECTOR.user, VECTOR.password, VECTOR.clientNonce);
    await scram.clientFinalMessage(VECTOR.serverFirst);
    return scram;
  }

  it('refuses a wrong signature', async () => {
    const scram = await afterClientFinal();
    await expectServerAuthFailure(
      () => scram.verifyServerFinal('v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='),
      /server signature is wrong/,
    );
  });

  it('refuses a missing or empty server-final-message', async () => {
    const scram = await afterClientFinal();
    await expectServerAuthFailure(() => scram.verifyServerFinal(undefined), /without a server signature/);
    await expectServerAuthFailure(() => scram.verifyServerFinal(''), /without a server signature/);
  });

  it('refuses a malformed one, and a server error in place of the signature', async () => {
    const scram = await afterClientFinal();
    await expectServerAuthFailure(
      () => scram.verifyServerFinal('x=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='),
      /expected "v="/,
    );
    await expectServerAuthFailure(() => scram.verifyServerFinal('v=not base64!'), /not base64/);
    await expectServerAuthFailure(() => scram.verifyServerFinal('v=6rriTRBi'), /not base64|wrong/);
    await expectServerAuthFailure(() => scram.verifyServerFinal('e=invalid-proof'), /invalid-proof/);
  });

  it('cannot verify before the client-final-message was computed', async () => {
    const scram = new ScramSha256Client(VECTOR.user, VECTOR.password, VECTOR.clientNonce);
    await expect(scram.verifyServerFinal(VECTOR.serverFinal)).rejects.toThrow(/before clientFinalMessage/);
  });
});

describe('SCRAM-SHA-256 client: server-first-message checks', () => {
  const nonce = VECTOR.clientNonce;

  it('parses a valid one', () => {
    const parsed = parseServerFirst(VECTOR.serverFirst, nonce);
    expect(parsed.nonce).toBe(SERVER_NONCE);
    expect(parsed.iterations).toBe(4096);
    expect(parsed.salt).toHaveLength(16);
  });

  it.each([
    ['empty', ''],
    ['garbage', 'hello'],
    ['attributes out of order', `s=${SALT},r=${SERVER_NONCE},i=4096`],
    ['missing iteration count', `r=${SERVER_NONCE},s=${SALT}`],
    ['missing salt', `r=${SERVER_NONCE},i=4096`],
    ['a mandatory extension', `m=ext,r=${SERVER_NONCE},s=${SALT},i=4096`],
  ])('refuses a malformed one (%s)', async (_, message) => {
    await expectServerAuthFailure(() => parseServerFirst(message, nonce), /server-first-message/);
  });

  it('refuses a salt that is not base64, or empty', async () => {
    await expectServerAuthFailure(
      () => parseServerFirst(`r=${SERVER_NONCE},s=not*base64,i=4096`, nonce),
      /salt is not base64/,
    );
    await expectServerAuthFailure(
      () => parseServerFirst(`r=${SERVER_NONCE},s=W22ZaJ0SNY7soEsUEjb6gQ,i=4096`, nonce),
      /salt is not base64/,
    );
    await expectServerAuthFailure(() => parseServerFirst(`r=${SERVER_NONCE},s=,i=4096`, nonce), /salt is empty/);
  });

  it('refuses a nonce that does not extend ours', async () => {
    await expectServerAuthFailure(
      () => parseServerFirst(`r=XOprNGfwEbeRWgbNEkqO%hvYD,s=${SALT},i=4096`, nonce),
      /nonce/,
    );
    await expectServerAuthFailure(() => parseServerFirst(`r=${nonce.slice(0, -1)},s=${SALT},i=4096`, nonce), /nonce/);
    // The server must add a part of its own.
    await expectServerAuthFailure(() => parseServerFirst(`r=${nonce},s=${SALT},i=4096`, nonce), /nonce/);
    await expectServerAuthFailure(() => parseServerFirst(`r=${nonce}\u00e9,s=${SALT},i=4096`, nonce), /printable/);
  });

  it(`refuses iteration counts outside ${SCRAM_MIN_ITERATIONS}..${SCRAM_MAX_ITERATIONS}`, async () => {
    for (const count of [1, 1000, SCRAM_MIN_ITERATIONS - 1, SCRAM_MAX_ITERATIONS + 1, 99_999_999]) {
      await expectServerAuthFailure(
        () => parseServerFirst(`r=${SERVER_NONCE},s=${SALT},i=${count}`, nonce),
        /outside the accepted range/,
      );
    }
    expect(parseServerFirst(`r=${SERVER_NONCE},s=${SALT},i=${SCRAM_MIN_ITERATIONS}`, nonce).iterations).toBe(
      SCRAM_MIN_ITERATIONS,
    );
    expect(parseServerFirst(`r=${SERVER_NONCE},s=${SALT},i=${SCRAM_MAX_ITERATIONS}`, nonce).iterations).toBe(
      SCRAM_MAX_ITERATIONS,
    );
  });

  it('refuses an iteration count that is not a positive integer', async () => {
    for (const count of ['', 'abc', '4096.5', '-4096', '04096', '1e6']) {
      await expectServerAuthFailure(
        () => parseServerFirst(`r=${SERVER_NONCE},s=${SALT},i=${count}`, nonce),
        /not a positive integer/,
      );
    }
  });

  it('clientFinalMessage applies the same checks (a low count is refused before any hashing)', async () => {
    const scram = new ScramSha256Client(VECTOR.user, VECTOR.password, nonce);
    await expectServerAuthFailure(
      () => scram.clientFinalMessage(`r=${SERVER_NONCE},s=${SALT},i=4095`),
      /outside the accepted range/,
    );
    await expectServerAuthFailure(() => scram.clientFinalMessage(`r=someoneelse,s=${SALT},i=4096`), /nonce/);
  });
});

describe('SCRAM-SHA-256 client: names and nonces', () => {
  it('escapes = and , in the user name', () => {
    expect(escapeSaslName('a=b,c')).toBe('a=3Db=2Cc');
    expect(escapeSaslName('=,=')).toBe('=3D=2C=3D');
    expect(new ScramSha256Client('x,y=z', 'pw', 'abc').clientFirstMessage).toBe('n,,n=x=2Cy=3Dz,r=abc');
    // Not normalized: the name must match the logon's `user` byte for byte.
    expect(new ScramSha256Client('\uff41', 'pw', 'abc').clientFirstMessage).toBe('n,,n=\uff41,r=abc');
  });

  it('generates random printable nonces without commas', () => {
    const nonces = new Set(Array.from({ length: 50 }, () => generateNonce()));
    expect(nonces.size).toBe(50);
    for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9+/]{24}$/);
  });

  it('uses a fresh nonce per exchange by default', () => {
    const a = new ScramSha256Client('u', 'pw').clientFirstMessage;
    const b = new ScramSha256Client('u', 'pw').clientFirstMessage;
    expect(a).toMatch(/^n,,n=u,r=[A-Za-z0-9+/]{24}$/);
    expect(a).not.toBe(b);
  });

  it('refuses an injected nonce that is empty or has a comma', () => {
    expect(() => new ScramSha256Client('u', 'pw', '')).toThrow(TypeError);
    expect(() => new ScramSha256Client('u', 'pw', 'a,b')).toThrow(TypeError);
  });
});
