// Store records for tests that write a store directly (server/store/records.ts): a plain queued
// QoS 1 message, neither in flight nor with properties.
import type { QueuedRecord } from '../../server/store/records.js';

export function queuedMessage(clientId: string, seq: number, payload = Buffer.from(`m${seq}`)): QueuedRecord {
  return {
    clientId,
    seq,
    topic: 'q/x',
    payload,
    qos: 1,
    retain: false,
    subscriptionIds: null,
    properties: null,
    packetId: null,
    released: false,
  };
}
