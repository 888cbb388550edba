// The raw native load generator (and the MQTT one with scenario 7's payloads) against a real
// in-process broker with both listeners and scenario 7's policy: a fixed number of messages must
// be counted exactly (messages x subscribers, as many as the broker says it delivered), and every
// sampled stamp must be one the publisher wrote: read back from deliveries, after a select list too.
// No timing assertions.
import { afterEach, describe, expect, it } from 'vitest';
import { runNativeFanout } from '../../bench/native-raw/generator.js';
import { SAMPLE_EVERY, now } from '../../bench/load/run-summary.js';
import { runScenario7, scenario7Policy, type Protocol, type Scenario } from '../../bench/scenarios/native-vs-mqtt.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

const SUBSCRIBERS = 4;
const MESSAGES = 20 * SAMPLE_EVERY;

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

async function start(): Promise<TestBroker> {
  broker = await startTestBroker({
    mqtt: { transports: ['tcp'] },
    security: {
      authentication: { module: 'allow-any' },
      entitlement: { module: 'policy', options: { policy: scenario7Policy(SUBSCRIBERS) } },
    },
  });
  return broker;
}

describe('load generators, scenario 7 shapes, fixed message count', () => {
  it.each([
    ['fanout', 'native'],
    ['entitled', 'native'],
    ['fanout', 'mqtt'],
    ['entitled', 'mqtt'],
  ] as [Scenario, Protocol][])(
    '%s over %s: counts exactly the deliveries the broker made and reads every sampled stamp',
    async (scenario, protocol) => {
      const b = await start();
      const before = b.broker.stats();
      const result = await runScenario7(
        scenario,
        protocol,
        { nativeUrl: b.url, mqttPort: Number(new URL(b.mqttUrl!).port) },
        {
          subscribers: SUBSCRIBERS,
          seconds: 30,
          window: 64,
          messages: MESSAGES,
          runId: `test-${scenario}-${protocol}`,
        },
      );
      const after = b.broker.stats();
      expect(result.published).toBe(MESSAGES);
      expect(result.deliveries).toBe(MESSAGES * SUBSCRIBERS);
      expect(result.missing).toBe(0);
      expect(after.deliveries - before.deliveries).toBe(MESSAGES * SUBSCRIBERS);
      // The entitled grant's filter matched every trade, and its select list kept the stamp (last field).
      expect(after.deliveriesFiltered - before.deliveriesFiltered).toBe(0);
      expect(result.samples).toBe((MESSAGES / SAMPLE_EVERY) * SUBSCRIBERS);
      expect(result.unreadableStamps).toBe(0);
    },
  );

  it('reads back exactly the stamps the publisher wrote, each once per subscriber (select list applied)', async () => {
    const b = await start();
    const seen: number[] = [];
    const t0 = now();
    const result = await runNativeFanout({
      url: b.url,
      subscribers: SUBSCRIBERS,
      seconds: 30,
      window: 64,
      messages: MESSAGES,
      topic: 'bench/trades',
      subscribeTopic: 'bench/#',
      payload: { data: { px: 101.25, region: 'EU', trader: 'alice', ts: '#STAMP-MARKER-16' } },
      stampKind: 'digits',
      onSample: (s) => seen.push(s),
    });
    const t1 = now();
    expect(result.deliveries).toBe(MESSAGES * SUBSCRIBERS);
    // One stamped message per buffer of SAMPLE_EVERY; every subscriber reads the same stamps.
    const distinct = [...new Set(seen)];
    expect(distinct).toHaveLength(MESSAGES / SAMPLE_EVERY);
    for (const stamp of distinct) expect(seen.filter((s) => s === stamp)).toHaveLength(SUBSCRIBERS);
    // Written (as whole µs) from the publisher's clock during this run, not garbage.
    for (const stamp of distinct) {
      expect(stamp).toBeGreaterThanOrEqual(Math.floor(t0 * 1000) / 1000);
      expect(stamp).toBeLessThanOrEqual(t1);
    }
  });
});
