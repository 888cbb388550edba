import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The unit tier (`npm run test:unit`): tests of modules alone, with no socket, no child process
 * and no build (dist/) needed: topics, content filters and select lists, configuration, and the
 * wire codecs (the native protocol's msgpack extents, the SDK's frames, MQTT's framer and PUBLISH
 * encoder, the cluster bus's frames and route table), and the benchmarks' command lines and chart.
 * A full run runs them once, as the `unit` project.
 */
const UNIT_TESTS = [
  'test/topics/**/*.test.ts',
  'test/content/filter/**/*.test.ts',
  'test/content/select/**/*.test.ts',
  'test/config/**/*.test.ts',
  'test/protocol/**/*.test.ts',
  'test/client/codec.test.ts',
  'test/mqtt/packet-framer.test.ts',
  'test/mqtt/publish-encoder.test.ts',
  'test/cluster/bus-codec.test.ts',
  'test/cluster/remote-routes.test.ts',
  'test/bench/cli-options.test.ts',
  'test/bench/svg-chart.test.ts',
  'test/vhosts/**/*.test.ts',
];

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
  'test/content/amps-filter-delivery.test.ts',
  'test/admission/**/*.test.ts',
];

const NOT_UNIT = [...configDefaults.exclude, ...UNIT_TESTS];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Tests open real sockets; a 2-core CI box is happier with bounded parallelism.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT_TESTS } },
      {
        extends: true,
        test: { name: 'ws', include: ['test/**/*.test.ts'], exclude: NOT_UNIT, env: { WARDEN_TEST_TRANSPORT: 'ws' } },
      },
      {
        extends: true,
        test: { name: 'uws', include: WEBSOCKET_TESTS, exclude: NOT_UNIT, env: { WARDEN_TEST_TRANSPORT: 'uws' } },
      },
    ],
    // `vitest run --coverage` (scripts/test.sh): V8 coverage of the source the tests import. The
    // broker processes some tests spawn (dist/server/cli.js) are not measured.
    coverage: {
      provider: 'v8',
      include: ['server/**/*.ts', 'client/**/*.ts', 'protocol/**/*.ts'],
      reporter: ['text-summary'],
    },
  },
});
