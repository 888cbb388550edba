import { defineConfig } from 'vitest/config';

/**
 * Test files that go through a WebSocket listener (native protocol or MQTT over WebSocket): they
 * run a second time on uWebSockets.js. test/helpers/broker.ts reads WARDEN_TEST_TRANSPORT and
 * fails a test whose listeners are not on that engine, so a uws run cannot quietly test ws.
 */
const WEBSOCKET_TESTS = [
  'test/server/**/*.test.ts',
  'test/client/**/*.test.ts',
  // Not authentication/ and entitlement/: they test the modules themselves, without a listener.
  'test/security/*.test.ts',
  'test/security/e2e/**/*.test.ts',
  'test/mqtt/**/*.test.ts',
  'test/content/content-delivery.test.ts',
  'test/admission/**/*.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Tests open real sockets; a 2-core CI box is happier with bounded parallelism.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'ws', include: ['test/**/*.test.ts'], env: { WARDEN_TEST_TRANSPORT: 'ws' } } },
      { extends: true, test: { name: 'uws', include: WEBSOCKET_TESTS, env: { WARDEN_TEST_TRANSPORT: 'uws' } } },
    ],
  },
});
