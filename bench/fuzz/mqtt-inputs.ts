// MQTT inputs (v3.1, v3.1.1 and v5): valid packets of every type built with mqtt-packet's
// generator, sometimes with a field removed first, then mutated: bytes flipped, inserted or cut,
// the Remaining Length rewritten (to a wrong value, an overlong form, or the true length after a
// cut, so the corrupt body still frames), truncated. Inputs go out on one connection back to back,
// so they are also concatenated, and the writes split at arbitrary points.
import fc from 'fast-check';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { FUZZ_USERS } from './fuzz-config.js';
import { applyMutations, mutationsArb } from './mutations.js';
import { payloadArb } from './native-inputs.js';

export type MqttVersion = 3 | 4 | 5;

export interface MqttCase {
  readonly protocol: 'mqtt';
  readonly version: MqttVersion;
  /** A valid CONNECT sent first (not a fuzz input), or null: the inputs come before any logon. */
  readonly connect: Buffer | null;
  readonly inputs: readonly Buffer[];
  /** How the bytes are written: all at once, one write per input, or in pieces of this many bytes. */
  readonly writes: 'whole' | 'per-input' | number;
  /** How the fuzzer leaves: a FIN after its last byte, or a reset. */
  readonly leave: 'end' | 'destroy';
}

type PacketObject = Record<string, unknown> & { cmd: string };

const clientId = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('fz-0', 'fz-1', 'fz-2', '') },
  fc.string({ maxLength: 24 }),
);
const topicName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('fz/a', 'fz/b/c', 'fz/x', 'ret/1', 'fz/a/b/c/d') },
  fc.constantFrom('', 'ctl/native', 'fz/+', 'fz/#', '$SYS/x', 'fz/\u0000', 'fz/é'),
  fc.string({ maxLength: 20 }).map((s) => `fz/${s}`),
);
const topicFilter = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('fz/#', 'fz/+', '#', 'fz/a', 'ret/#', '$share/g/fz/#', '$share/g/#') },
  fc.constantFrom('', 'fz/#/a', 'fz/a+', '$share/', '$share/g', '$share/+/x', '$SYS/#', 'ctl/#'),
  topicName,
);
/** JSON payloads (parsed on delivery by the filtered and select-listed subscribers) and raw bytes. */
const payload = fc.oneof(
  { weight: 3, arbitrary: payloadArb.map((value) => Buffer.from(JSON.stringify(value) ?? 'null', 'utf8')) },
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
);
const messageId = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 20 }) },
  fc.integer({ min: 0, max: 65535 }),
);
const qos = fc.constantFrom(0, 1, 2);
const userProperties = fc.dictionary(
  fc.string({ maxLength: 6 }),
  fc.oneof(fc.string({ maxLength: 6 }), fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 })),
  { maxKeys: 3 },
);
const u32 = fc.oneof(fc.integer({ min: 0, max: 120 }), fc.constant(0xffffffff));
const u16 = fc.oneof(fc.integer({ min: 0, max: 10 }), fc.constant(0xffff));

function packetArb(version: MqttVersion): fc.Arbitrary<PacketObject> {
  const v5 = version === 5;
  /** v5 properties where the version has them; an empty object is left out. */
  const props = (record: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Record<string, unknown>> =>
    v5
      ? fc
          .option(record, { nil: undefined })
          .map((p) => (p === undefined || Object.keys(p).length === 0 ? {} : { properties: p }))
      : fc.constant({});
  const withProps = (
    base: fc.Arbitrary<PacketObject>,
    properties: fc.Arbitrary<Record<string, unknown>>,
  ): fc.Arbitrary<PacketObject> => fc.tuple(base, props(properties)).map(([b, p]) => ({ ...b, ...p }));
  const reasonCode = v5
    ? fc.option(fc.constantFrom(0, 0x10, 0x80, 0x87, 0x91, 0x92, 0x97, 0xff), { nil: undefined })
    : fc.constant(undefined);

  const publish = withProps(
    fc.record({
      cmd: fc.constant('publish'),
      topic: topicName,
      payload,
      qos,
      retain: fc.boolean(),
      dup: fc.boolean(),
      messageId,
    }),
    fc.record(
      {
        payloadFormatIndicator: fc.boolean(),
        messageExpiryInterval: u32,
        topicAlias: fc.integer({ min: 0, max: 12 }),
        responseTopic: topicName,
        correlationData: fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
        userProperties,
        subscriptionIdentifier: fc.integer({ min: 0, max: 300 }),
        contentType: fc.string({ maxLength: 8 }),
      },
      { requiredKeys: [] },
    ),
  );
  const ack = (cmd: string): fc.Arbitrary<PacketObject> =>
    withProps(
      fc
        .record({ cmd: fc.constant(cmd), messageId, reasonCode })
        .map((p) => (p.reasonCode === undefined ? { cmd: p.cmd, messageId: p.messageId } : p)),
      fc.record({ reasonString: fc.string({ maxLength: 8 }), userProperties }, { requiredKeys: [] }),
    );
  const subscribe = withProps(
    fc.record({
      cmd: fc.constant('subscribe'),
      messageId,
      subscriptions: fc.array(
        fc
          .record({ topic: topicFilter, qos, nl: fc.boolean(), rap: fc.boolean(), rh: fc.constantFrom(0, 1, 2) })
          .map((s) => (v5 ? s : { topic: s.topic, qos: s.qos })),
        { minLength: 1, maxLength: 4 },
      ),
    }),
    fc.record({ subscriptionIdentifier: fc.integer({ min: 1, max: 300 }), userProperties }, { requiredKeys: [] }),
  );
  const unsubscribe = withProps(
    fc.record({
      cmd: fc.constant('unsubscribe'),
      messageId,
      unsubscriptions: fc.array(topicFilter, { minLength: 1, maxLength: 3 }),
    }),
    fc.record({ userProperties }, { requiredKeys: [] }),
  );
  const disconnect = withProps(
    fc
      .record({ cmd: fc.constant('disconnect'), reasonCode })
      .map((p) => (p.reasonCode === undefined ? { cmd: p.cmd } : p)),
    fc.record(
      { sessionExpiryInterval: u32, reasonString: fc.string({ maxLength: 8 }), userProperties },
      { requiredKeys: [] },
    ),
  );
  const simple = fc.constantFrom<PacketObject>(
    { cmd: 'pingreq' },
    { cmd: 'pingresp' },
    { cmd: 'connack', returnCode: 0, sessionPresent: false, reasonCode: 0 },
  );
  const packets: fc.Arbitrary<PacketObject>[] = [
    publish,
    ack('puback'),
    ack('pubrec'),
    ack('pubrel'),
    ack('pubcomp'),
    subscribe,
    unsubscribe,
    disconnect,
    simple,
    connectArb(version),
  ];
  if (v5) {
    packets.push(
      fc.record({
        cmd: fc.constant('auth'),
        reasonCode: fc.constantFrom(0, 0x18, 0x19),
        properties: fc.record(
          {
            authenticationMethod: fc.constantFrom('SCRAM-SHA-256', 'x'),
            authenticationData: fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b)),
          },
          { requiredKeys: [] },
        ),
      }),
    );
  }
  return fc.oneof({ weight: 6, arbitrary: publish }, { weight: 2, arbitrary: subscribe }, ...packets);
}

export function connectArb(version: MqttVersion): fc.Arbitrary<PacketObject> {
  const v5 = version === 5;
  const will = fc.record(
    {
      topic: topicName,
      payload,
      qos,
      retain: fc.boolean(),
      ...(v5
        ? {
            properties: fc.record(
              {
                willDelayInterval: fc.integer({ min: 0, max: 2 }),
                payloadFormatIndicator: fc.boolean(),
                messageExpiryInterval: u32,
                contentType: fc.string({ maxLength: 6 }),
                userProperties,
              },
              { requiredKeys: [] },
            ),
          }
        : {}),
    },
    { requiredKeys: ['topic', 'payload', 'qos', 'retain'] },
  );
  return fc.record(
    {
      cmd: fc.constant('connect'),
      protocolId: fc.constant(version === 3 ? 'MQIsdp' : 'MQTT'),
      protocolVersion: fc.constant(version),
      clientId,
      clean: fc.boolean(),
      keepalive: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 600 })),
      username: fc.oneof(fc.constantFrom(...FUZZ_USERS), fc.string({ maxLength: 10 })),
      password: fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
      will,
      ...(v5
        ? {
            properties: fc.record(
              {
                sessionExpiryInterval: u32,
                receiveMaximum: u16,
                maximumPacketSize: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1 << 20 })),
                topicAliasMaximum: u16,
                requestResponseInformation: fc.boolean(),
                requestProblemInformation: fc.boolean(),
                userProperties,
                authenticationMethod: fc.constantFrom('SCRAM-SHA-256', 'x'),
              },
              { requiredKeys: [] },
            ),
          }
        : {}),
    },
    { requiredKeys: ['cmd', 'protocolId', 'protocolVersion', 'clientId', 'clean', 'keepalive'] },
  );
}

/** mqtt-packet's bytes for `packet`, or null when it refuses the object (a removed field it needs). */
export function generatePacket(packet: PacketObject, version: MqttVersion): Buffer | null {
  try {
    return mqttPacket.generate(packet as unknown as Packet, { protocolVersion: version === 3 ? 4 : version });
  } catch {
    return null;
  }
}

/** The fixed header's parts (spec 2.1), or null when the Remaining Length does not end within 4 bytes. */
function splitFixedHeader(bytes: Buffer): { first: number; bodyStart: number } | null {
  for (let i = 1; i <= 4 && i < bytes.length; i++)
    if ((bytes[i]! & 0x80) === 0) return { first: bytes[0]!, bodyStart: i + 1 };
  return null;
}

export function encodeRemainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/** What happens to the Remaining Length after the byte mutations. */
type LengthEdit =
  | { readonly kind: 'keep' }
  | { readonly kind: 'true' } // the true length of the mutated body: the packet frames, its content is corrupt
  | { readonly kind: 'delta'; readonly delta: number }
  | { readonly kind: 'value'; readonly value: number }
  | { readonly kind: 'overlong' }; // five bytes, all with the continuation bit [MQTT-1.5.5]

const lengthEditArb: fc.Arbitrary<LengthEdit> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'keep' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'true' as const }) },
  fc.record({ kind: fc.constant('delta' as const), delta: fc.integer({ min: -4, max: 4 }) }),
  fc.record({
    kind: fc.constant('value' as const),
    value: fc.oneof(
      fc.integer({ min: 0, max: 300 }),
      fc.constant(268_435_455),
      fc.integer({ min: 0, max: 268_435_455 }),
    ),
  }),
  fc.constant({ kind: 'overlong' as const }),
);

function editLength(mutated: Buffer, edit: LengthEdit): Buffer {
  if (edit.kind === 'keep') return mutated;
  const header = splitFixedHeader(mutated);
  if (header === null) return mutated;
  const body = mutated.subarray(header.bodyStart);
  const first = Buffer.of(header.first);
  switch (edit.kind) {
    case 'true':
      return Buffer.concat([first, encodeRemainingLength(body.length), body]);
    case 'delta':
      return Buffer.concat([first, encodeRemainingLength(Math.max(0, body.length + edit.delta)), body]);
    case 'value':
      return Buffer.concat([first, encodeRemainingLength(edit.value), body]);
    case 'overlong':
      return Buffer.concat([first, Buffer.of(0xff, 0xff, 0xff, 0xff, 0x7f), body]);
  }
}

/** One input: a packet (perhaps without one of its fields), its bytes mutated, its length edited. */
function inputArb(version: MqttVersion): fc.Arbitrary<Buffer> {
  return fc
    .tuple(packetArb(version), fc.option(fc.nat({ max: 16 }), { nil: undefined, freq: 8 }), mutationsArb, lengthEditArb)
    .map(([packet, removeIndex, mutations, lengthEdit]) => {
      let object = packet;
      if (removeIndex !== undefined) {
        const keys = Object.keys(packet).filter((k) => k !== 'cmd');
        if (keys.length > 0) {
          object = { ...packet };
          delete object[keys[removeIndex % keys.length]!];
        }
      }
      // A generator refusal falls back to the packet with all its fields.
      const bytes = generatePacket(object, version) ?? generatePacket(packet, version) ?? Buffer.of(0xc0, 0x00);
      return editLength(applyMutations(bytes, mutations), lengthEdit);
    });
}

function caseArb(version: MqttVersion): fc.Arbitrary<MqttCase> {
  return fc.record({
    protocol: fc.constant('mqtt' as const),
    version: fc.constant(version),
    connect: fc.oneof(
      { weight: 3, arbitrary: connectArb(version).map((p) => generatePacket({ ...p, keepalive: 0 }, version)) },
      fc.constant(null),
    ),
    inputs: fc.array(inputArb(version), { minLength: 1, maxLength: 6 }),
    writes: fc.oneof(fc.constantFrom('whole' as const, 'per-input' as const), fc.integer({ min: 1, max: 7 })),
    leave: fc.oneof({ weight: 4, arbitrary: fc.constant('end' as const) }, fc.constant('destroy' as const)),
  });
}

// Built once per version: building arbitraries per generated case costs more than generating.
export const mqttCaseArb: fc.Arbitrary<MqttCase> = fc.oneof(
  { weight: 1, arbitrary: caseArb(3) },
  { weight: 4, arbitrary: caseArb(4) },
  { weight: 5, arbitrary: caseArb(5) },
);
