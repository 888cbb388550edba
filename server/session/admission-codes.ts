// Admission refusals as native error codes (docs/protocol.md). Every one is a refused logon: the
// error frame, then close 4003, as for a failed authentication (seed 003).
import { ErrorCodes, type ErrorCode } from '../../protocol/native.js';
import type { RefusalKind } from '../admission/refusal.js';

export const ADMISSION_ERROR_CODES: Readonly<Record<RefusalKind, ErrorCode>> = {
  // Never sent: a disabled protocol's connections are closed before any frame.
  'protocol-disabled': ErrorCodes.LOGON_FAILED,
  'rate-limited': ErrorCodes.RATE_LIMITED,
  'user-not-allowed': ErrorCodes.USER_NOT_ALLOWED,
  'host-not-allowed': ErrorCodes.HOST_NOT_ALLOWED,
  'connection-limit': ErrorCodes.CONNECTION_LIMIT,
};
