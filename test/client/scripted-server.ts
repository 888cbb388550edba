// A tiny fake broker for the client tests that need answers the real broker never gives
// (refused logons, silence, garbage). Each connection is handed to a script.
import { Packr } from 'msgpackr';
import { WebSocketServer, type WebSocket } from 'ws';
import { SUBPROTOCOL_JSON, SUBPROTOCOL_MSGPACK, type Encoding } from '../../protocol/native.js';

const packr = new Packr({ useRecords: false });

export type Frame = Record<string, unknown> & { op: string; rid?: number };

export class ScriptedConnection {
  /** Resolves when the server side of this connection has closed. */
  readonly closed: Promise<void>;

  constructor(
    readonly socket: WebSocket,
    readonly encoding: Encoding,
    /** 0 for the first connection the server accepted, 1 for the next... */
    readonly index: number,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  onFrame(handler: (frame: Frame) => void): void {
    this.socket.on('message', (data: Buffer, isBinary: boolean) => {
      handler((isBinary ? packr.unpack(data) : JSON.parse(data.toString('utf8'))) as Frame);
    });
  }

  send(frame: Record<string, unknown>): void {
    this.socket.send(this.encoding === 'json' ? JSON.stringify(frame) : packr.pack(frame));
  }

  /** Answers every request with an ack (logon acks carry user and session). */
  ackEverything(except: (frame: Frame) => boolean = () => false): void {
    this.onFrame((frame) => {
      if (except(frame)) return;
      if (frame.rid === undefined) return;
      this.send(
        frame.op === 'logon'
          ? { op: 'ack', rid: frame.rid, user: frame.user, session: `s${this.index}` }
          : { op: 'ack', rid: frame.rid },
      );
    });
  }
}

export class ScriptedServer {
  private readonly sockets = new Set<WebSocket>();
  private accepted = 0;

  private constructor(
    private readonly server: WebSocketServer,
    readonly url: string,
  ) {}

  static async start(
    script: (connection: ScriptedConnection) => void,
    options: { acceptSubprotocol?: boolean } = {},
  ): Promise<ScriptedServer> {
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      handleProtocols: (protocols) => {
        if (options.acceptSubprotocol === false) return false;
        for (const protocol of [SUBPROTOCOL_MSGPACK, SUBPROTOCOL_JSON]) if (protocols.has(protocol)) return protocol;
        return false;
      },
    });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('unexpected address');
    const scripted = new ScriptedServer(server, `ws://127.0.0.1:${address.port}/`);
    server.on('connection', (socket) => {
      scripted.sockets.add(socket);
      socket.on('close', () => scripted.sockets.delete(socket));
      const encoding: Encoding = socket.protocol === SUBPROTOCOL_JSON ? 'json' : 'msgpack';
      script(new ScriptedConnection(socket, encoding, scripted.accepted++));
    });
    return scripted;
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  /** Every connection ends without a close handshake (the client sees 1006). */
  dropAll(): void {
    for (const socket of this.sockets) socket.terminate();
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
