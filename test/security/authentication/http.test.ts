// The `http` module against a real HTTP server: accept, refuse, and fail closed on everything else.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createHttpAuthentication } from '../../../server/security/authentication/http.js';
import { answerOf, configErrorOf, expectAccept, expectReject, logon, moduleContext } from './helpers.js';
import { json, useHttpServers } from './http-server.js';

const serve = useHttpServers();

/** A URL on a port nothing listens on (bound, then released). */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/auth`;
}

describe('http module', () => {
  it('POSTs the logon as JSON and accepts a 2xx identity', async () => {
    const server = await serve((_request, _body, response) => json(response, 200, { identity: 'alice@corp' }));
    const module = await createHttpAuthentication(
      { url: server.url, headers: { authorization: 'Bearer service-key', 'Content-Type': 'text/plain' } },
      moduleContext(),
    );
    expectAccept(
      await answerOf(
        module.authenticate(logon({ user: 'alice', password: 'pw', remoteAddress: '10.0.0.1', listener: 'native' })),
      ),
      'alice@corp',
    );
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0].method).toBe('POST');
    expect(server.requests[0].body).toEqual({
      user: 'alice',
      password: 'pw',
      token: null,
      mechanism: 'password',
      remoteAddress: '10.0.0.1',
      listener: 'native',
    });
    expect(server.requests[0].headers['content-type']).toBe('application/json');
    expect(server.requests[0].headers.authorization).toBe('Bearer service-key');
  });

  it('takes `user` from the answer, else the logon user name', async () => {
    const byUser = await serve((_request, _body, response) => json(response, 200, { user: 'bob' }));
    expectAccept(
      await answerOf(
        (await createHttpAuthentication({ url: byUser.url }, moduleContext())).authenticate(logon({ user: 'b' })),
      ),
      'bob',
    );
    const bare = await serve((_request, _body, response) => json(response, 200, { ok: true }));
    expectAccept(
      await answerOf(
        (await createHttpAuthentication({ url: bare.url }, moduleContext())).authenticate(
          logon({ user: 'carol', mechanism: 'token', password: undefined, token: 'tok' }),
        ),
      ),
      'carol',
    );
    expect(bare.requests[0].body).toMatchObject({ token: 'tok', password: null, mechanism: 'token' });
  });

  it('rejects on 401 and 403', async () => {
    for (const status of [401, 403]) {
      const server = await serve((_request, _body, response) => json(response, status, { error: 'no' }));
      const module = await createHttpAuthentication({ url: server.url }, moduleContext());
      expectReject(
        await answerOf(module.authenticate(logon())),
        `auth service refused the logon of "alice" (HTTP ${status})`,
      );
    }
  });

  it('fails closed on 500, a redirect, bad JSON, a non-object, an unusable identity', async () => {
    const cases: [(response: import('node:http').ServerResponse) => void, RegExp][] = [
      [(response) => json(response, 500, { identity: 'x' }), /answered HTTP 500/],
      [(response) => response.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end(), /request failed/],
      [(response) => response.writeHead(200).end('not json'), /without a JSON body/],
      [(response) => response.writeHead(200).end(''), /without a JSON body/],
      [(response) => json(response, 200, ['alice']), /not an object/],
      [(response) => json(response, 200, { identity: 42 }), /without a usable identity/],
      [(response) => json(response, 200, { identity: '' }), /without a usable identity/],
    ];
    for (const [answer, reason] of cases) {
      const server = await serve((_request, _body, response) => answer(response));
      const module = await createHttpAuthentication({ url: server.url }, moduleContext());
      expectReject(await answerOf(module.authenticate(logon())), reason);
    }
  });

  it('fails closed when the service never answers (timeout) or is not there', async () => {
    const silent = await serve(() => {});
    const module = await createHttpAuthentication({ url: silent.url, timeoutMs: 150 }, moduleContext());
    const started = Date.now();
    expectReject(await answerOf(module.authenticate(logon())), 'auth service did not answer within 150 ms');
    // Generous: the message already names the 150 ms timeout; this only rules out a hang.
    expect(Date.now() - started).toBeLessThan(10_000);

    const gone = await createHttpAuthentication({ url: await closedPortUrl() }, moduleContext());
    expectReject(await answerOf(gone.authenticate(logon())), /auth service request failed: ECONNREFUSED/);
  });

  it('refuses an oversized answer', async () => {
    const server = await serve((_request, _body, response) =>
      json(response, 200, { identity: 'a', padding: 'x'.repeat(100_000) }),
    );
    const module = await createHttpAuthentication({ url: server.url }, moduleContext());
    expectReject(await answerOf(module.authenticate(logon())), /larger than 65536 bytes/);
  });

  it('does not ask the service for implicit or SCRAM logons', async () => {
    const server = await serve((_request, _body, response) => json(response, 200, {}));
    const module = await createHttpAuthentication({ url: server.url }, moduleContext());
    expect(module.allowsImplicitLogon).toBe(false);
    expectReject(
      await answerOf(module.authenticate(logon({ user: '', mechanism: 'implicit', password: undefined }))),
      /implicit/,
    );
    expectReject(
      await answerOf(module.authenticate(logon({ mechanism: 'SCRAM-SHA-256', data: 'n,,n=a,r=b' }))),
      /SCRAM/,
    );
    expect(server.requests).toHaveLength(0);
  });

  it('never logs the password, token or service headers', async () => {
    const lines: string[] = [];
    const log = pino(
      { level: 'trace' },
      new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) }),
    );
    const server = await serve((_request, _body, response) => json(response, 500, {}));
    const module = await createHttpAuthentication(
      { url: `${server.url}?key=query-secret`, headers: { authorization: 'Bearer header-secret' } },
      { ...moduleContext(), log },
    );
    const answer = await answerOf(module.authenticate(logon({ password: 'pw-secret', token: 'tok-secret' })));
    const output = lines.join('') + JSON.stringify(answer);
    expect(output).toContain('http authentication module ready');
    for (const secret of ['pw-secret', 'tok-secret', 'header-secret', 'query-secret'])
      expect(output).not.toContain(secret);
  });

  it('validates its options', async () => {
    const paths = async (options: Record<string, unknown>) =>
      (await configErrorOf(() => createHttpAuthentication(options, moduleContext()))).issues.map(
        (issue) => `${issue.path}: ${issue.message}`,
      );
    expect(await paths({})).toEqual([
      expect.stringMatching(/^security\.authentication\.options\.url: expected an http/),
    ]);
    expect(await paths({ url: 'ftp://x/' })).toEqual([expect.stringMatching(/options\.url: .*scheme ftp:/)]);
    const withCredentials = await paths({ url: 'https://me:hunter2@auth.example.com/' });
    expect(withCredentials[0]).toMatch(/credentials in the URL are not allowed/);
    expect(withCredentials[0]).not.toContain('hunter2');
    expect(await paths({ url: 'https://a.example.com/', timeoutMs: 0 })).toEqual([
      expect.stringMatching(/options\.timeoutMs: expected an integer from 1 to 300000/),
    ]);
    expect((await paths({ url: 'https://a.example.com/', headers: { 'bad header': 'x' } }))[0]).toMatch(
      /options\.headers/,
    );
  });
});
