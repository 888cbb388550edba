// The uWebSockets.js options in the config: `transport: uws` on native and MQTT listeners, and one
// engine per shared host:port, refused with the key named otherwise.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../server/config/index.js';
import { configErrorOf } from '../config/errors-of.js';

const issuesOf = (input: unknown) => configErrorOf(() => parseConfig(input, { env: {} })).issues;

describe('uws in the config', () => {
  it("native listeners default to ws and accept uws; MQTT takes uws as a third transport with websocket's fields", () => {
    const config = parseConfig({
      listeners: [
        { port: 9000 },
        { name: 'fast', transport: 'uws', port: 9001 },
        { protocol: 'mqtt', transport: 'uws', port: 9001 },
      ],
    });
    expect(config.listeners.map((l) => [l.name, 'transport' in l ? l.transport : null])).toEqual([
      ['native', 'ws'],
      ['fast', 'uws'],
      ['mqtt-ws', 'uws'],
    ]);
    expect(config.listeners[2]).toMatchObject({ protocol: 'mqtt', transport: 'uws', path: '/mqtt', port: 9001 });
  });

  it('an unknown engine lists the choices', () => {
    expect(issuesOf({ listeners: [{ transport: 'uwebsockets' }] })).toEqual([
      { path: 'listeners[0].transport', message: 'expected one of "ws", "uws", got "uwebsockets"' },
    ]);
    expect(issuesOf({ listeners: [{ protocol: 'mqtt', transport: 'ws' }] })).toEqual([
      { path: 'listeners[0].transport', message: 'expected one of "tcp", "websocket", "uws", got "ws"' },
    ]);
  });

  it('WebSocket listeners sharing a host:port must use one engine', () => {
    expect(issuesOf({ listeners: [{ port: 9000 }, { protocol: 'mqtt', transport: 'uws', port: 9000 }] })).toEqual([
      {
        path: 'listeners[1].transport',
        message:
          'expected "websocket", as listeners[0] on 127.0.0.1:9000 uses ws (WebSocket listeners on one host:port share one server), got "uws"',
      },
    ]);
    expect(
      issuesOf({
        listeners: [
          { transport: 'uws', port: 9000 },
          { protocol: 'mqtt', transport: 'websocket', port: 9000 },
        ],
      }),
    ).toEqual([
      {
        path: 'listeners[1].transport',
        message:
          'expected "uws", as listeners[0] on 127.0.0.1:9000 uses uws (WebSocket listeners on one host:port share one server), got "websocket"',
      },
    ]);
    expect(
      issuesOf({
        listeners: [
          { protocol: 'mqtt', transport: 'uws', port: 9000 },
          { name: 'n', path: '/n', port: 9000 },
        ],
      }),
    ).toEqual([
      {
        path: 'listeners[1].transport',
        message:
          'expected "uws", as listeners[0] on 127.0.0.1:9000 uses uws (WebSocket listeners on one host:port share one server), got "ws"',
      },
    ]);
  });

  it('a uws listener cannot have tls (this uWebSockets.js build has none)', () => {
    const tls = { profiles: { main: { certificate: 'server.pem', privateKey: 'server-key.pem' } } };
    expect(issuesOf({ tls, listeners: [{ transport: 'uws', tls: { profile: 'main' } }] })).toEqual([
      {
        path: 'listeners[0].tls',
        message:
          'expected no tls on a uws listener (its uWebSockets.js build has no TLS: use ws for wss://), got {"profile":"main","requireClientCertificate":false}',
      },
    ]);
    expect(
      issuesOf({ tls, listeners: [{ protocol: 'mqtt', transport: 'uws', tls: { profile: 'main' } }] })[0]?.path,
    ).toBe('listeners[0].tls');
    expect(
      parseConfig({ tls, listeners: [{ transport: 'ws', tls: { profile: 'main' } }] }, { env: {} }).listeners[0],
    ).toMatchObject({ transport: 'ws' });
  });

  it('the same engine may share a port; port 0 never shares, so engines may differ there', () => {
    expect(
      parseConfig({
        listeners: [
          { transport: 'uws', port: 9000 },
          { protocol: 'mqtt', transport: 'uws', port: 9000 },
        ],
      }).listeners,
    ).toHaveLength(2);
    expect(
      parseConfig({
        listeners: [
          { transport: 'uws', port: 0 },
          { name: 'b', port: 0 },
          { protocol: 'mqtt', transport: 'websocket', port: 0 },
        ],
      }).listeners,
    ).toHaveLength(3);
  });
});
