// A published message on its way to subscribers. The wire body (topic + payload) is encoded lazily,
// at most once per encoding, and shared by every subscriber using that encoding.
import type { Encoding } from '../../protocol/native.js';
import type { PublishPayload } from '../protocol/native/command-parser.js';
import { encodeDeliveryBody } from './delivery-frame.js';

export class Message {
  private jsonBody: Buffer | null = null;
  private msgpackBody: Buffer | null = null;

  constructor(
    readonly topic: string,
    readonly payload: PublishPayload,
  ) {}

  body(encoding: Encoding): Buffer {
    if (encoding === 'msgpack') return (this.msgpackBody ??= encodeDeliveryBody('msgpack', this.topic, this.payload));
    return (this.jsonBody ??= encodeDeliveryBody('json', this.topic, this.payload));
  }
}
