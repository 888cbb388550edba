// Admission refusals as CONNACK reason codes (v5); connackV3Code maps them for v3.1.1 clients:
// limits and rate to 3 (server unavailable: try later), users and hosts to 5 (not authorized).
import type { RefusalKind } from '../admission/refusal.js';
import { ReasonCodes } from './reason-codes.js';

export const ADMISSION_REASON_CODES: Readonly<Record<RefusalKind, number>> = {
  // Never sent: a disabled protocol's connections are closed before CONNECT is read.
  'protocol-disabled': ReasonCodes.NOT_AUTHORIZED,
  'rate-limited': ReasonCodes.CONNECTION_RATE_EXCEEDED,
  'user-not-allowed': ReasonCodes.NOT_AUTHORIZED,
  'host-not-allowed': ReasonCodes.NOT_AUTHORIZED,
  'connection-limit': ReasonCodes.QUOTA_EXCEEDED,
};
