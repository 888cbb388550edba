// The bare-Node ceiling for bench:peers (peer `ceiling`): the least a Node process must do to pass
// the benchmarks' MQTT traffic on one core, and nothing a broker needs beyond that. No
// authentication, entitlements, limits, validation, sessions, keepalive or logging: CONNECT gets a
// fixed CONNACK, SUBSCRIBE a SUBACK, and each PUBLISH's bytes go unchanged to the connections
// whose filter matches (a topic's matches cached until the next SUBSCRIBE or close; a QoS 1
// PUBLISH is acknowledged and forwarded as it came). Writes are batched per connection and made
// once per event-loop turn, as Warden does. Warden's figure divided by this one is how close it
// comes to what Node allows here (bench/RESULTS.md). Prints {"port":N} once listening.
//
//   node dist/bench/ceiling/bare-mqtt.js [port]
import { createServer, type Socket } from 'node:net';

const CONNACK = Buffer.from([0x20, 2, 0, 0]);
const PINGRESP = Buffer.from([0xd0, 0]);

class Connection {
  pending: Buffer | null = null;
  out: Buffer[] = [];
  outBytes = 0;
  queued = false;
  filters: string[][] = [];
  constructor(readonly socket: Socket) {}
}

const connections = new Set<Connection>();
const routes = new Map<string, Connection[]>();
const toFlush: Connection[] = [];
let flushQueued = false;

function matches(filter: string[], topic: string[]): boolean {
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i];
    if (f === '#') return true;
    if (i >= topic.length) return false;
    if (f !== '+' && f !== topic[i]) return false;
  }
  return filter.length === topic.length;
}

function routeOf(topic: string): Connection[] {
  let route = routes.get(topic);
  if (route !== undefined) return route;
  const levels = topic.split('/');
  route = [];
  for (const c of connections) if (c.filters.some((f) => matches(f, levels))) route.push(c);
  routes.set(topic, route);
  return route;
}

function flush(): void {
  flushQueued = false;
  for (const c of toFlush.splice(0)) {
    c.queued = false;
    const out = c.out;
    c.out = [];
    const bytes = c.outBytes;
    c.outBytes = 0;
    if (!c.socket.destroyed) c.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out, bytes));
  }
}

function send(c: Connection, packet: Buffer): void {
  c.out.push(packet);
  c.outBytes += packet.length;
  if (!c.queued) {
    c.queued = true;
    toFlush.push(c);
    if (!flushQueued) {
      flushQueued = true;
      setImmediate(flush);
    }
  }
}

function onPacket(c: Connection, type: number, flags: number, packet: Buffer, body: number): void {
  switch (type) {
    case 1:
      send(c, CONNACK);
      return;
    case 3: {
      const topicLength = packet.readUInt16BE(body);
      const topic = packet.toString('latin1', body + 2, body + 2 + topicLength);
      const qos = (flags >> 1) & 3;
      if (qos === 1) send(c, Buffer.from([0x40, 2, packet[body + 2 + topicLength]!, packet[body + 3 + topicLength]!]));
      for (const target of routeOf(topic)) send(target, packet);
      return;
    }
    case 8: {
      const id = packet.readUInt16BE(body);
      let at = body + 2;
      const codes: number[] = [];
      while (at < packet.length) {
        const length = packet.readUInt16BE(at);
        c.filters.push(packet.toString('latin1', at + 2, at + 2 + length).split('/'));
        codes.push(Math.min(packet[at + 2 + length]! & 3, 1));
        at += 3 + length;
      }
      routes.clear();
      send(c, Buffer.from([0x90, 2 + codes.length, id >> 8, id & 0xff, ...codes]));
      return;
    }
    case 12:
      send(c, PINGRESP);
      return;
    case 14:
      c.socket.end();
      return;
    default:
      return; // PUBACK and the rest: nothing to do
  }
}

function onData(c: Connection, chunk: Buffer): void {
  const buf = c.pending === null ? chunk : Buffer.concat([c.pending, chunk]);
  c.pending = null;
  let at = 0;
  while (at + 2 <= buf.length) {
    let length = 0;
    let multiplier = 1;
    let i = at + 1;
    for (;;) {
      if (i >= buf.length) {
        c.pending = buf.subarray(at);
        return;
      }
      const b = buf[i++]!;
      length += (b & 0x7f) * multiplier;
      multiplier *= 128;
      if ((b & 0x80) === 0) break;
    }
    if (i + length > buf.length) break;
    const first = buf[at]!;
    onPacket(c, first >> 4, first & 0x0f, buf.subarray(at, i + length), i - at);
    at = i + length;
  }
  if (at < buf.length) c.pending = Buffer.from(buf.subarray(at));
}

const server = createServer((socket) => {
  socket.setNoDelay(true);
  const c = new Connection(socket);
  connections.add(c);
  socket.on('data', (chunk: Buffer) => onData(c, chunk));
  socket.on('error', () => undefined);
  socket.on('close', () => {
    connections.delete(c);
    routes.clear();
  });
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 })}\n`,
  );
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0));
