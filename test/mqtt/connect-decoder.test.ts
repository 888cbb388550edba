// The fast CONNECT decoder (server/mqtt/connect-decoder.ts) against the shared mqtt-packet parser
// it stands in for: the same packet for every CONNECT it decodes, null (so the shared parser
// decides) for everything else, and so the same error for every malformed CONNECT.
import mqttPacket, { type IConnectPacket } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { decodePlainConnect } from '../../server/mqtt/connect-decoder.js';
import { sharedParser } from '../../server/mqtt/packet-parser.js';

/** Where the variable header starts: after the type byte and the Remaining Length. */
function bodyStartOf(bytes: Buffer): number {
  let at = 1;
  while ((bytes[at]! & 0x80) !== 0) at++;
  return at + 1;
}

const fast = (bytes: Buffer): IConnectPacket | null => decodePlainConnect(bytes, 0, bytes.length, bodyStartOf(bytes));
const shared = (bytes: Buffer): unknown => sharedParser.parse(bytes, { protocolVersion: 4 });
/** What MqttConnection does with a whole CONNECT frame. */
const either = (bytes: Buffer): unknown => fast(bytes) ?? shared(bytes);

/** `body` (variable header + payload) as a CONNECT with the right Remaining Length. */
function frame(body: Buffer, first = 0x10): Buffer {
  const length: number[] = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    length.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([first, ...length]), body]);
}

const bodyOf = (packet: Buffer): Buffer => packet.subarray(bodyStartOf(packet));

const generate = (fields: Partial<IConnectPacket>): Buffer =>
  mqttPacket.generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId: 'client-1',
    clean: true,
    keepalive: 60,
    ...fields,
  } as IConnectPacket);

const DECODED: [string, Partial<IConnectPacket>][] = [
  ['v3.1.1, no credentials', {}],
  ['v3.1.1, user name and password', { username: 'alice', password: Buffer.from('s3cret') }],
  ['v3.1.1, user name only, clean 0', { username: 'alice', clean: false }],
  ['v3.1.1, empty client id, keepalive 0', { clientId: '', keepalive: 0 }],
  ['v3.1.1, a long client id (two-byte Remaining Length)', { clientId: 'x'.repeat(300) }],
  ['v3.1.1, non-ASCII client id and user', { clientId: 'käfer-🐞', username: 'ÿser' }],
  ['v3.1, MQIsdp', { protocolId: 'MQIsdp', protocolVersion: 3 }],
  ['v5, no properties', { protocolVersion: 5, username: 'bob', password: Buffer.from('pw') }],
];

const SHARED_ONLY: [string, Partial<IConnectPacket>][] = [
  ['a will', { will: { topic: 'w', payload: Buffer.from('bye'), qos: 1, retain: true } }],
  ['v5 properties', { protocolVersion: 5, properties: { sessionExpiryInterval: 60 } }],
  ['a bridge flag', { protocolVersion: 4, bridgeMode: true } as Partial<IConnectPacket>],
];

describe('the fast CONNECT decoder', () => {
  it.each(DECODED)('%s: the same packet as the shared parser', (_name, fields) => {
    const bytes = generate(fields);
    const packet = fast(bytes);
    expect(packet).not.toBeNull();
    // Field for field (mqtt-packet's object is of its own Packet class; nothing reads that).
    expect({ ...packet }).toStrictEqual({ ...(shared(bytes) as object) });
    expect(Object.keys(packet!)).toEqual(Object.keys(shared(bytes) as object));
  });

  it.each(SHARED_ONLY)('%s: left to the shared parser', (_name, fields) => {
    expect(fast(generate(fields))).toBeNull();
  });

  it('does not keep a view of the socket read: the password is its own copy', () => {
    const bytes = generate({ username: 'u', password: Buffer.from('pw') });
    const packet = fast(bytes)!;
    bytes.fill(0);
    expect(packet.password!.toString()).toBe('pw');
  });

  const valid = generate({ username: 'alice', password: Buffer.from('s3cret') });
  const body = bodyOf(valid);
  const malformed: [string, Buffer][] = [
    ...Array.from({ length: body.length }, (_, n): [string, Buffer] => [
      `cut to ${n} bytes`,
      frame(body.subarray(0, n)),
    ]),
    ['a trailing byte', frame(Buffer.concat([body, Buffer.from([0])]))],
    ['fixed-header flags set', frame(body, 0x12)],
    ['reserved connect flag set', frame(Buffer.from(body).fill(0xc3, 7, 8))],
    ['will QoS without a will', frame(Buffer.from(body).fill(0xca, 7, 8))],
    ['will retain without a will', frame(Buffer.from(body).fill(0xe2, 7, 8))],
    ['protocol name MQTX', frame(Buffer.from(body).fill(0x58, 5, 6))],
    ['protocol version 6', frame(Buffer.from(body).fill(6, 6, 7))],
    ['protocol version 2', frame(Buffer.from(body).fill(2, 6, 7))],
    ['a client id of ill-formed UTF-8', frame(Buffer.concat([body.subarray(0, 10), Buffer.from([0, 2, 0xc3, 0x28])]))],
    [
      'a user name of ill-formed UTF-8',
      frame(Buffer.concat([Buffer.from(body.subarray(0, 10)).fill(0x82, 7, 8), Buffer.from([0, 1, 0x61, 0, 1, 0xff])])),
    ],
    [
      'a password longer than the packet',
      frame(Buffer.concat([body.subarray(0, body.length - 8), Buffer.from([0, 99])])),
    ],
    [
      'a password without a user name (not refused: the same packet either way)',
      frame(Buffer.concat([Buffer.from(bodyOf(generate({}))).fill(0x42, 7, 8), Buffer.from([0, 1, 0x70])])),
    ],
    [
      'v5 with a property length past the end',
      frame(Buffer.concat([bodyOf(generate({ protocolVersion: 5 })).subarray(0, 10), Buffer.from([5])])),
    ],
  ];

  it.each(malformed)('%s: the same answer as the shared parser alone', (_name, bytes) => {
    const expected = shared(bytes);
    const got = either(bytes);
    if (expected instanceof Error) {
      expect(got).toBeInstanceOf(expected.constructor as new () => Error);
      expect((got as Error).message).toBe(expected.message);
    } else expect({ ...(got as object) }).toStrictEqual({ ...(expected as object) });
  });

  it('the malformed cases are refused at all (the table tests something)', () => {
    const refused = malformed.filter(([, bytes]) => shared(bytes) instanceof Error).length;
    expect(refused).toBeGreaterThan(malformed.length - 5);
  });
});
