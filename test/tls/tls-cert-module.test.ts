// The tls-cert authentication module on its own (logon requests made here, no sockets), and the
// subjectAltName parsing behind LogonRequest.peerCertificate.
import { describe, expect, it } from 'vitest';
import { BUILTIN_AUTHENTICATION_MODULES } from '../../server/security/authentication/index.js';
import type { AuthenticationModule } from '../../server/security/module-types.js';
import { parseSubjectAltNames, type TlsPeerCertificate } from '../../server/tls/peer-certificate.js';
import { answerOf, expectAccept, expectReject, logon, moduleContext } from '../security/authentication/helpers.js';

const ALICE: TlsPeerCertificate = {
  commonName: 'alice',
  dnsNames: [],
  emailAddresses: ['alice@example.test', 'a@example.test'],
  uris: [],
  ipAddresses: [],
  issuerCommonName: 'Test CA',
  serialNumber: '01',
  fingerprint256: 'AA:BB',
  validFrom: 'Jan  1 00:00:00 2025 GMT',
  validTo: 'Jan  1 00:00:00 2030 GMT',
};

function tlsCert(options: Record<string, unknown> = {}): Promise<AuthenticationModule> {
  return Promise.resolve(BUILTIN_AUTHENTICATION_MODULES['tls-cert']!(options, moduleContext()));
}

describe('tls-cert', () => {
  it('refuses without a verified certificate, and refuses the implicit logon', async () => {
    const module = await tlsCert();
    expect(module.allowsImplicitLogon).toBe(false);
    expectReject(
      await answerOf(module.authenticate(logon())),
      'no verified client certificate (the listener needs tls.requireClientCertificate: true)',
    );
    expectReject(
      await answerOf(module.authenticate(logon({ user: '', mechanism: 'implicit', peerCertificate: ALICE }))),
      /implicit logon is not allowed/,
    );
  });

  it('takes password, token and EXTERNAL logons, but not SCRAM, whose proof it cannot check', async () => {
    const module = await tlsCert();
    for (const mechanism of ['password', 'token', 'EXTERNAL']) {
      expectAccept(
        await answerOf(
          module.authenticate(logon({ user: '', password: undefined, mechanism, peerCertificate: ALICE })),
        ),
        'alice',
      );
    }
    expectReject(
      await answerOf(module.authenticate(logon({ mechanism: 'SCRAM-SHA-256', peerCertificate: ALICE }))),
      'mechanism SCRAM-SHA-256 is not used with the tls-cert module (mode certificate-only)',
    );
  });

  it('names the missing name in its reason', async () => {
    const noCn = { ...ALICE, commonName: undefined };
    expectReject(
      await answerOf((await tlsCert()).authenticate(logon({ peerCertificate: noCn }))),
      'the client certificate has no single subject CN',
    );
    expectReject(
      await answerOf((await tlsCert({ identity: 'san-dns' })).authenticate(logon({ peerCertificate: ALICE }))),
      'the client certificate has no DNS subjectAltName',
    );
    expectAccept(
      await answerOf(
        (await tlsCert({ identity: 'san-email' })).authenticate(logon({ user: '', peerCertificate: ALICE })),
      ),
      'alice@example.test',
    );
  });

  it("must-match keeps the credentials module's answer only when its identity is the certificate's", async () => {
    const module = await tlsCert({ mode: 'must-match', credentials: { module: 'allow-any' } });
    expectAccept(await answerOf(module.authenticate(logon({ user: 'alice', peerCertificate: ALICE }))), 'alice');
    expectReject(
      await answerOf(module.authenticate(logon({ user: 'bob', peerCertificate: ALICE }))),
      `the logon's identity "bob" is not the client certificate's identity "alice"`,
    );
  });
});

describe('subjectAltName parsing', () => {
  it('reads each kind, in order, and skips kinds it does not use', () => {
    expect(
      parseSubjectAltNames(
        'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, email:a@b.c, URI:spiffe://x/y, othername:<unsupported>, DNS:b.example',
      ),
    ).toEqual({
      DNS: ['localhost', 'b.example'],
      'IP Address': ['127.0.0.1', '0:0:0:0:0:0:0:1'],
      email: ['a@b.c'],
      URI: ['spiffe://x/y'],
    });
    expect(parseSubjectAltNames(undefined)).toEqual({ DNS: [], 'IP Address': [], email: [], URI: [] });
  });

  it('keeps a quoted value with a comma in it as one name (a crafted name cannot pose as two)', () => {
    expect(parseSubjectAltNames('DNS:"evil.example, DNS:admin", email:"x\\"y@z"')).toEqual({
      DNS: ['evil.example, DNS:admin'],
      'IP Address': [],
      email: ['x"y@z'],
      URI: [],
    });
  });
});
