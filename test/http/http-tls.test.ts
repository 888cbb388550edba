// HTTP publish over TLS (docs/http.md, docs/tls.md): an https:// listener with a profile, and a
// client certificate as the credential (the tls-cert module: an EXTERNAL logon, no header).
import { request } from 'node:https';
import { describe, expect, it } from 'vitest';
import { pem, serverProfile, useBrokers, useDevCertificates } from '../tls/tls-fixture.js';

const certs = useDevCertificates();
const brokers = useBrokers();

interface Answer {
  status: number;
  body: string;
}

function post(url: string, body: object, options: { cert?: boolean; authorization?: string } = {}): Promise<Answer> {
  const c = certs();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        ca: pem(c.ca),
        agent: false,
        headers: {
          'content-type': 'application/json',
          ...(options.authorization === undefined ? {} : { authorization: options.authorization }),
        },
        ...(options.cert === true ? { cert: pem(c.clientAlice), key: pem(c.clientAliceKey) } : {}),
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('HTTP publish over TLS', () => {
  it('serves https:// and logs a client certificate on without a header (tls-cert)', async () => {
    const broker = await brokers({
      persistence: 'none',
      sys: { enabled: false },
      admin: { enabled: false },
      tls: { profiles: { main: serverProfile(certs()) } },
      listeners: [
        {
          name: 'http',
          protocol: 'http',
          host: '127.0.0.1',
          port: 0,
          tls: { profile: 'main', requireClientCertificate: true },
          authentication: { module: 'tls-cert' },
        },
      ],
    });
    const url = broker.listeners[0]!.url;
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/api\/publish$/);
    expect((await post(url, { topic: 'a/b', data: 1 }, { cert: true })).status).toBe(204);
    expect(broker.stats().logons).toBe(1);
    // A Basic user name other than the certificate's is refused (certificate-only mode).
    const other = await post(
      url,
      { topic: 'a/b', data: 1 },
      {
        cert: true,
        authorization: `Basic ${Buffer.from('bob:x').toString('base64')}`,
      },
    );
    expect(other.status).toBe(401);
    expect(JSON.parse(other.body)).toEqual({ error: { code: 'LOGON_FAILED', message: 'logon refused' } });
    // Without a certificate the handshake itself fails.
    await expect(post(url, { topic: 'a/b', data: 1 })).rejects.toThrow();
  });
});
