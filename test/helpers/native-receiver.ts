// A native delivery target with no connection behind it: it records the frames a delivery plan
// sends it, so a test can check what each receiver got and which frames receivers share.
import type { Encoding } from '../../protocol/native.js';
import type { NativeDeliveryTarget } from '../../server/delivery/subscription-entry.js';
import { ALLOW_ALL } from '../../server/security/decision.js';
import type { SharedFrame } from '../../server/transports/shared-frame.js';

export type RecordingReceiver = NativeDeliveryTarget & { readonly frames: SharedFrame[] };

/** Always allowed to read; `frames` (its own list by default) collects what it is sent. */
export function recordingReceiver(encoding: Encoding, frames: SharedFrame[] = []): RecordingReceiver {
  return {
    kind: 'native',
    encoding,
    frames,
    readAccess: () => ALLOW_ALL,
    sendDelivery: (frame) => void frames.push(frame),
    holdDelivery: () => undefined,
    releaseHeld: () => undefined,
    reportInvalidRules: () => undefined,
    reportDeliveryError: () => undefined,
  };
}
