// The binary layout of queued messages in the LMDB store: every field round-trips, the optional
// parts only when present, and bytes that are not a record are refused rather than misread.
import { describe, expect, it } from 'vitest';
import { decodeQueued, encodeQueued } from '../../server/store/message-codec.js';
import type { QueuedRecord } from '../../server/store/records.js';
import { queuedMessage } from '../helpers/store-records.js';

describe('the queued-message codec', () => {
  it('round-trips a plain record, field for field', () => {
    const record = queuedMessage('client-1', 42);
    expect(decodeQueued(encodeQueued(record))).toEqual(record);
  });

  it('round-trips every optional part: packet id, released, retain, QoS 2, subscription ids, properties', () => {
    const record: QueuedRecord = {
      clientId: 'klïent-ü',
      seq: 2 ** 40 + 3,
      topic: `t/${'ä'.repeat(40_000)}`,
      payload: Buffer.from([0, 255, 1, 254]),
      qos: 2,
      retain: true,
      subscriptionIds: [1, 268_435_455],
      properties: {
        expiresAt: 1_900_000_000_000,
        userProperties: { k: 'v', many: ['1', '2'] },
        contentType: 'text/plain',
        correlationData: Buffer.from('corr'),
      },
      packetId: 65_535,
      released: true,
    };
    const decoded = decodeQueued(encodeQueued(record));
    expect(decoded).toEqual(record);
    expect(Buffer.isBuffer(decoded.payload)).toBe(true);
    expect(Buffer.isBuffer(decoded.properties!.correlationData)).toBe(true);
  });

  it('decodes only the first `size` bytes when given a larger read buffer, and copies what it keeps', () => {
    const encoded = encodeQueued(queuedMessage('c', 1, Buffer.from('payload')));
    const shared = Buffer.alloc(encoded.length + 64, 0xee);
    encoded.copy(shared);
    const decoded = decodeQueued(shared, encoded.length);
    shared.fill(0);
    expect(decoded.payload.toString()).toBe('payload');
  });

  it('refuses bytes that are not a record of this format', () => {
    expect(() => decodeQueued(Buffer.from([0xc1, 0xc1]))).toThrow(/not a queued message/);
    const encoded = encodeQueued(queuedMessage('c', 1));
    expect(() => decodeQueued(Buffer.concat([Buffer.from([9]), encoded.subarray(1)]))).toThrow(/not a queued message/);
    const qos0 = Buffer.from(encoded);
    qos0[1] = 0;
    expect(() => decodeQueued(qos0)).toThrow(/QoS 0/);
    expect(() => decodeQueued(encoded.subarray(0, 20))).toThrow(/cut short/);
  });
});
