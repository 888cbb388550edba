// A reset for a user whose name is long in UTF-8 still closes their connections with 4004: the
// close reason is cut to WebSocket's 123-byte limit at a character boundary.
import { afterEach, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { CloseCodes } from '../../protocol/native.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

let tb: TestBroker;
afterEach(async () => tb.close());

it('resets a user with a 200-character multi-byte name', async () => {
  tb = await startTestBroker();
  const name = '😀ü'.repeat(80); // 240 UTF-16 units, 480 bytes of UTF-8
  const c = await connect(tb.url, { user: name, password: 'pw', reconnect: false });
  const gone = new Promise<{ code: number; reason: string }>((resolve) =>
    c.once('disconnected', (info) => resolve(info)),
  );
  expect(await tb.broker.admin.resetEntitlements(name)).toEqual({ disconnected: 1 });
  const info = await gone;
  expect(info.code).toBe(CloseCodes.ENTITLEMENTS_RESET);
  expect(Buffer.byteLength(info.reason)).toBeLessThanOrEqual(123);
  expect(info.reason.startsWith('entitlements reset for 😀ü')).toBe(true);
});
