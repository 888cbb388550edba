// One error class for refusals the broker reports to a client: a stable code from the protocol's
// list, a message safe to put on the wire (never internals), and the request it answers.
import type { ErrorCode, RequestId } from '../protocol/native.js';

export class BrokerError extends Error {
  override readonly name = 'BrokerError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly rid?: RequestId,
    readonly cmd?: string,
  ) {
    super(message);
  }
}
