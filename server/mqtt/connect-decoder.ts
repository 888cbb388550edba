// The common CONNECT decoded without the generic parser: MQTT 3.1 / 3.1.1 / 5.0 with no will, no
// v5 properties and no bridge flag, a well-formed client id, user name and password, and nothing
// after them. That is every logon of a connection storm (bench:peers scenario 6), where
// mqtt-packet's parser (a BufferList, a debug() call per field, a settings object) was a visible
// share of each logon. Anything else -- and every malformed CONNECT -- returns null and goes to
// the shared parser (packet-parser.ts), so refusals keep exactly its errors.
//
// The packet has the shape mqtt-packet gives it (same fields, same order), so nothing downstream
// can tell the two paths apart.
import type { IConnectPacket } from 'mqtt-packet';

const FLAG_USERNAME = 0x80;
const FLAG_PASSWORD = 0x40;
/** Will retain, will QoS (2 bits), will flag, reserved: any set goes to the shared parser. */
const FLAGS_ELSEWHERE = 0x3d;
const FLAG_CLEAN = 0x02;

/**
 * A CONNECT in buf[start, end), its variable header at `bodyStart`, or null when the shared parser
 * must decide (anything this does not cover, or anything wrong).
 */
export function decodePlainConnect(buf: Buffer, start: number, end: number, bodyStart: number): IConnectPacket | null {
  if (buf[start] !== 0x10) return null; // reserved fixed-header flags must be 0
  let pos = bodyStart;
  // Protocol Name: "MQTT" (v3.1.1, v5) or "MQIsdp" (v3.1).
  if (pos + 2 > end) return null;
  const nameLength = buf.readUInt16BE(pos);
  pos += 2;
  let protocolId: 'MQTT' | 'MQIsdp';
  if (nameLength === 4 && buf[pos] === 0x4d && buf[pos + 1] === 0x51 && buf[pos + 2] === 0x54 && buf[pos + 3] === 0x54)
    protocolId = 'MQTT';
  else if (nameLength === 6 && pos + 6 <= end && buf.toString('latin1', pos, pos + 6) === 'MQIsdp')
    protocolId = 'MQIsdp';
  else return null;
  pos += nameLength;
  if (pos + 4 > end) return null;
  const version = buf[pos]!;
  if (version !== 3 && version !== 4 && version !== 5) return null;
  const flags = buf[pos + 1]!;
  if ((flags & FLAGS_ELSEWHERE) !== 0) return null;
  const keepalive = buf.readUInt16BE(pos + 2);
  pos += 4;
  if (version === 5) {
    if (pos >= end || buf[pos] !== 0) return null; // v5 properties: the shared parser reads them
    pos++;
  }
  const clientId = readString(buf, pos, end);
  if (clientId === null) return null;
  pos += 2 + buf.readUInt16BE(pos);
  let username: string | undefined;
  if ((flags & FLAG_USERNAME) !== 0) {
    const text = readString(buf, pos, end);
    if (text === null) return null;
    username = text;
    pos += 2 + buf.readUInt16BE(pos);
  }
  let password: Buffer | undefined;
  if ((flags & FLAG_PASSWORD) !== 0) {
    if (pos + 2 > end) return null;
    const length = buf.readUInt16BE(pos);
    if (pos + 2 + length > end) return null;
    // A copy: the packet may outlive the socket read it came in (an enhanced authentication keeps it).
    password = Buffer.from(buf.subarray(pos + 2, pos + 2 + length));
    pos += 2 + length;
  }
  if (pos !== end) return null; // bytes left over: the shared parser says what they are
  const packet: IConnectPacket = {
    cmd: 'connect',
    retain: false,
    qos: 0,
    dup: false,
    length: end - bodyStart,
    topic: null,
    payload: null,
    protocolId,
    protocolVersion: version,
    clean: (flags & FLAG_CLEAN) !== 0,
    keepalive,
    clientId,
  } as IConnectPacket;
  if (username !== undefined) packet.username = username;
  if (password !== undefined) packet.password = password;
  return packet;
}

/** A length-prefixed UTF-8 string at `pos`, or null if it runs past `end` or is not well-formed UTF-8. */
function readString(buf: Buffer, pos: number, end: number): string | null {
  if (pos + 2 > end) return null;
  const length = buf.readUInt16BE(pos);
  if (pos + 2 + length > end) return null;
  const text = buf.toString('utf8', pos + 2, pos + 2 + length);
  // Ill-formed bytes decode to U+FFFD: let the shared parser refuse (or accept a real U+FFFD).
  if (text.indexOf('\uFFFD') !== -1) return null;
  return text;
}
