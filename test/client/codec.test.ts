// The SDK codecs and base64 helpers (browser-safe: no Buffer in the code under test).
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64 } from '../../client/base64.js';
import { createCodec, FrameDecodeError } from '../../client/codec.js';

const packr = new Packr({ useRecords: false });

describe('base64', () => {
  it('round-trips every byte value and large inputs', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(base64ToBytes(bytesToBase64(all))).toEqual(all);
    const large = Uint8Array.from({ length: 200_001 }, (_, i) => (i * 7) % 256);
    const text = bytesToBase64(large);
    expect(text).toBe(Buffer.from(large).toString('base64'));
    // Buffer.equals: toEqual over 200k elements is slow.
    expect(Buffer.from(base64ToBytes(text)).equals(Buffer.from(large))).toBe(true);
    expect(bytesToBase64(new Uint8Array(0))).toBe('');
  });
});

describe('codec', () => {
  it('msgpack: encodes raw bytes as binary and decodes deliveries from any binary container', () => {
    const codec = createCodec('msgpack');
    expect(codec.subprotocol).toBe('warden.v1.msgpack');
    const bytes = new Uint8Array([1, 2, 3]);
    const encoded = codec.encode({ op: 'publish', topic: 't', bytes });
    expect(packr.unpack(encoded as Buffer)).toEqual({ op: 'publish', topic: 't', bytes: Buffer.from(bytes) });

    const frame = packr.pack({ op: 'msg', sids: [3, 4], topic: 't', bytes: Buffer.from([9, 8]) });
    const arrayBuffer = frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength);
    for (const raw of [frame, arrayBuffer, new Uint8Array(arrayBuffer)]) {
      const decoded = codec.decode(raw);
      expect(decoded).toEqual({ op: 'msg', sids: [3, 4], topic: 't', bytes: new Uint8Array([9, 8]) });
      if (decoded.op === 'msg') expect(decoded.bytes!.constructor).toBe(Uint8Array);
    }
    // A top-level binary `data` is raw bytes too.
    const viaData = codec.decode(packr.pack({ op: 'msg', sids: [1], topic: 't', data: Buffer.from([7]) }));
    expect(viaData).toEqual({ op: 'msg', sids: [1], topic: 't', bytes: new Uint8Array([7]) });
  });

  it('json: encodes raw bytes as base64 and decodes text or binary frames', () => {
    const codec = createCodec('json');
    expect(codec.subprotocol).toBe('warden.v1.json');
    const text = codec.encode({ op: 'publish', topic: 't', bytes: new Uint8Array([255, 0]), ack: true, rid: 4 });
    expect(JSON.parse(text as string)).toEqual({ op: 'publish', topic: 't', bytes: '/wA=', ack: true, rid: 4 });
    const frame = '{"op":"msg","sids":[1],"topic":"t","bytes":"/wA="}';
    expect(codec.decode(frame)).toEqual({ op: 'msg', sids: [1], topic: 't', bytes: new Uint8Array([255, 0]) });
    expect(codec.decode(new TextEncoder().encode(frame))).toEqual(codec.decode(frame));
    expect(codec.decode('{"op":"ack","rid":2,"user":"u","session":"s"}')).toEqual({
      op: 'ack',
      rid: 2,
      user: 'u',
      session: 's',
    });
    expect(codec.decode('{"op":"error","code":"BAD_FRAME","message":"m"}')).toEqual({
      op: 'error',
      code: 'BAD_FRAME',
      message: 'm',
    });
  });

  it('rejects frames that are not broker frames', () => {
    const json = createCodec('json');
    const msgpack = createCodec('msgpack');
    for (const bad of [
      'nope',
      '[]',
      '{"op":"what"}',
      '{"op":"ack"}',
      '{"op":"msg","sids":[1]}',
      '{"op":"msg","sids":["x"],"topic":"t"}',
      '{"op":"msg","sids":[1],"topic":"t","bytes":"**"}',
    ]) {
      expect(() => json.decode(bad), bad).toThrow(FrameDecodeError);
    }
    expect(() => msgpack.decode('{"op":"ack","rid":1}')).toThrow(FrameDecodeError);
    expect(() => msgpack.decode(new Uint8Array([0xc1]))).toThrow(FrameDecodeError);
    expect(() => msgpack.decode({})).toThrow(FrameDecodeError);
  });
});
