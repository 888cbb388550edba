// Logons from more than one remote host on one machine: Linux routes all of 127.0.0.0/8 to the
// loopback interface, so a client socket bound to 127.0.0.2 reaches a broker listening on
// 127.0.0.1 and the broker sees it as another host. For the logon guard's per-host fairness and
// back-off. Every socket is tracked and destroyed by teardown().
import { connect as netConnect, type Socket } from 'node:net';
import mqttPacket, { type IConnectPacket, type Packet } from 'mqtt-packet';
import { WebSocket } from 'ws';
import { SUBPROTOCOLS } from '../../protocol/native.js';

export const HOST_A = '127.0.0.1';
export const HOST_B = '127.0.0.2';

/** How a logon ended: the CONNACK reason code (v5) / return code (v3.1.1), the native frame's code (or 'ack'), or 'closed' with no answer. */
export type LogonAnswer = number | string | 'closed';

export interface PendingLogon {
  /** Settles with the answer, never rejects. */
  readonly answer: Promise<LogonAnswer>;
  /** Written once the connection is open and the logon sent. */
  readonly sent: Promise<void>;
  close(): void;
}

export class TwoHosts {
  private readonly sockets: { destroy(): void }[] = [];

  /** An MQTT CONNECT over TCP from `localAddress`, v5 unless `version` says 4. */
  mqtt(
    url: string,
    localAddress: string,
    connect: Omit<IConnectPacket, 'cmd' | 'protocolId' | 'protocolVersion'>,
    version: 4 | 5 = 5,
  ): PendingLogon {
    const { hostname, port } = new URL(url);
    const socket: Socket = netConnect({ port: Number(port), host: hostname, localAddress });
    this.sockets.push(socket);
    socket.on('error', () => {});
    const parser = mqttPacket.parser({ protocolVersion: version });
    const answer = new Promise<LogonAnswer>((resolve) => {
      parser.on('packet', (packet: Packet) => {
        if (packet.cmd === 'connack') resolve(version === 5 ? (packet.reasonCode ?? 0) : (packet.returnCode ?? 0));
      });
      socket.once('close', () => resolve('closed'));
    });
    socket.on('data', (data) => parser.parse(data));
    const sent = new Promise<void>((resolve) => {
      socket.once('connect', () => {
        socket.write(
          mqttPacket.generate(
            { cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, keepalive: 0, ...connect },
            { protocolVersion: version },
          ),
          () => resolve(),
        );
      });
      socket.once('close', () => resolve());
    });
    return { answer, sent, close: () => socket.destroy() };
  }

  /** A native logon (JSON) over WebSocket from `localAddress`. */
  native(url: string, localAddress: string, user: string, password: string): PendingLogon {
    const ws = new WebSocket(url, SUBPROTOCOLS.json, { localAddress });
    this.sockets.push({ destroy: () => ws.terminate() });
    ws.on('error', () => {});
    const answer = new Promise<LogonAnswer>((resolve) => {
      ws.on('message', (data: Buffer) => {
        const frame = JSON.parse(data.toString('utf8')) as { op: string; code?: string };
        resolve(frame.op === 'ack' ? 'ack' : (frame.code ?? frame.op));
      });
      ws.once('close', () => resolve('closed'));
    });
    const sent = new Promise<void>((resolve) => {
      ws.once('open', () => ws.send(JSON.stringify({ op: 'logon', rid: 1, user, password }), () => resolve()));
      ws.once('close', () => resolve());
    });
    return { answer, sent, close: () => ws.terminate() };
  }

  teardown(): void {
    for (const s of this.sockets.splice(0)) s.destroy();
  }
}
