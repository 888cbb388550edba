// The cluster bus's frames and batches: what goes in comes out byte for byte, and anything cut or
// from another version is refused with BusFrameError rather than misread.
import { describe, expect, it } from 'vitest';
import {
  BusFrameError,
  decodeBusFrame,
  encodeBatch,
  encodeBusFrame,
  splitBatch,
  type BusMessage,
} from '../../server/cluster/bus-codec.js';

const mqttMessage: BusMessage = {
  topic: 'plant/ünit-7/temp',
  payloadKind: 'bytes',
  payload: Buffer.from([0, 255, 1, 128, 0x7b]),
  mqtt: {
    qos: 2,
    retain: true,
    properties: {
      expiresAt: 1_800_000_000_000,
      userProperties: { site: ['north', 'south'], line: '4' },
      contentType: 'application/json',
      correlationData: Buffer.from([9, 8, 7]),
    },
  },
  shares: new Map([
    ['workers/jobs/#', 'node-b'],
    ['audit/#', 'node-a'],
  ]),
};

describe('bus frames', () => {
  it('round-trips an MQTT publish with properties and $share assignments', () => {
    const decoded = decodeBusFrame(encodeBusFrame(mqttMessage));
    expect(decoded.topic).toBe(mqttMessage.topic);
    expect(decoded.payloadKind).toBe('bytes');
    expect(Buffer.compare(decoded.payload, mqttMessage.payload)).toBe(0);
    expect(decoded.mqtt).toEqual(mqttMessage.mqtt);
    expect([...decoded.shares!]).toEqual([...mqttMessage.shares!]);
  });

  it('round-trips a native msgpack payload with no MQTT fields and no shares', () => {
    const message: BusMessage = {
      topic: 'a',
      payloadKind: 'msgpack',
      payload: Buffer.from([0x81, 0xa1, 0x78, 0x01]),
      mqtt: null,
      shares: null,
    };
    expect(decodeBusFrame(encodeBusFrame(message))).toEqual({ ...message, payload: message.payload });
  });

  it('refuses a frame cut short, one with trailing bytes, and one of another version', () => {
    const frame = encodeBusFrame(mqttMessage);
    for (let cut = 0; cut < frame.length; cut += 7)
      expect(() => decodeBusFrame(frame.subarray(0, cut))).toThrow(BusFrameError);
    expect(() => decodeBusFrame(Buffer.concat([frame, Buffer.from([0])]))).toThrow('trailing bytes');
    const other = Buffer.from(frame);
    other[0] = 9;
    expect(() => decodeBusFrame(other)).toThrow('version 9');
  });

  it('splits a batch into its frames, and refuses a cut batch', () => {
    const frames = [encodeBusFrame(mqttMessage), encodeBusFrame({ ...mqttMessage, topic: 'b', shares: null })];
    const batch = encodeBatch(frames);
    expect(splitBatch(batch).map((f) => decodeBusFrame(f).topic)).toEqual([mqttMessage.topic, 'b']);
    expect(() => splitBatch(batch.subarray(0, batch.length - 1))).toThrow(BusFrameError);
    expect(() => splitBatch(batch.subarray(0, 2))).toThrow(BusFrameError);
    expect(splitBatch(Buffer.alloc(0))).toEqual([]);
  });
});
