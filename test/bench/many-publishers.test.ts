// bench:peers scenario 2b (many publishers) against a real broker: every message reaches exactly
// one consumer, each consumer is fed by as many devices as a device has topics, and a short
// bounded run delivers everything it published.
import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { deviceTopic, runManyPublishers } from '../../bench/mqtt-load/many-publishers.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.close();
  tb = null;
});

describe('the many-publishers workload', () => {
  it("spreads each device's topics over that many consumers, one consumer per topic", () => {
    const consumers = 50;
    const fedBy = new Map<number, Set<number>>();
    const topics = new Set<string>();
    for (let p = 0; p < 50; p++)
      for (let k = 0; k < 20; k++) {
        const topic = deviceTopic(p, k, consumers);
        topics.add(topic);
        const consumer = Number(topic.split('/')[1]);
        if (!fedBy.has(consumer)) fedBy.set(consumer, new Set());
        fedBy.get(consumer)!.add(p);
      }
    expect(topics.size).toBe(1000); // each device's topics are its own
    expect(fedBy.size).toBe(consumers);
    for (const devices of fedBy.values()) expect(devices.size).toBe(20);
  });

  it('delivers every message it publishes through a broker, each to one consumer', async () => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const port = Number(new URL(tb.mqttUrl!).port);
    // A watcher on everything counts what the devices published, topic by topic.
    const watcher = await mqtt.connectAsync(tb.mqttUrl!, { clientId: 'watcher', reconnectPeriod: 0 });
    const seen = new Set<string>();
    watcher.on('message', (topic) => seen.add(topic));
    await watcher.subscribeAsync('sensors/#');
    try {
      const result = await runManyPublishers({
        port,
        publishers: 6,
        topicsPerPublisher: 3,
        consumers: 6,
        seconds: 0.3,
        payloadBytes: 32,
        window: 30,
        runId: 'mp',
      });
      expect(result.published).toBeGreaterThan(0);
      expect(result.deliveries).toBe(result.published);
      expect(result.missing).toBe(0);
      const expected = new Set<string>();
      for (let p = 0; p < 6; p++) for (let k = 0; k < 3; k++) expected.add(deviceTopic(p, k, 6));
      expect([...seen].every((t) => expected.has(t))).toBe(true);
    } finally {
      await watcher.endAsync();
    }
  });

  it('refuses a device with more topics than there are consumers', async () => {
    await expect(
      runManyPublishers({
        port: 1,
        publishers: 2,
        topicsPerPublisher: 5,
        consumers: 4,
        seconds: 1,
        payloadBytes: 32,
        window: 10,
        runId: 'x',
      }),
    ).rejects.toThrow(/topics per publisher must be in 1\.\.4/);
  });
});
