// What every listener reports once bound, and the plumbing the WebSocket listeners share.
import { urlAuthority } from './listen-on.js';
import { WebSocketServer } from 'ws';

export interface BoundListener {
  readonly name: string;
  readonly protocol: 'native' | 'mqtt' | 'http';
  /** What serves it: `ws`, `uws` (uWebSockets.js), `tcp` (MQTT over TCP) or `http` (node:http, HTTP publish). */
  readonly transport: 'ws' | 'uws' | 'tcp' | 'http';
  readonly host: string;
  readonly port: number;
  readonly url: string;
}

/** The ws:// or wss:// URL of a WebSocket listener, with an IPv6 host in brackets. */
export function formatUrl(host: string, port: number, path: string, secure = false): string {
  return `${secure ? 'wss' : 'ws'}://${urlAuthority(host, port)}${path}`;
}

/** A `ws` server for upgrades routed by an HttpEndpoint, set up as every Warden WebSocket listener needs it. */
export function upgradeServer(
  maxPayload: number,
  handleProtocols: (offered: Set<string>) => string | false,
): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false, // ws-frame.ts writes frames directly and relies on this
    maxPayload,
    handleProtocols,
  });
}
