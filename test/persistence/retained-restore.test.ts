// Retained messages come back in the background at start-up: the listeners serve meanwhile. A
// retained publish (or clear) made meanwhile wins over the older stored one, and a subscription
// made meanwhile gets its retained messages once the restore is done, and only then.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../server/index.js';
import { RetainedStore } from '../../server/mqtt/retained-store.js';
import { BrokerStats } from '../../server/stats.js';
import { realTimers } from '../../server/timers.js';
import type { RetainedRecord } from '../../server/store/records.js';
import { startTestBroker } from '../helpers/broker.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { inbox, useMqttFixture } from '../mqtt/mqtt-helpers.js';

const fx = useMqttFixture();
const temp = useTempDirs();

const stored = (topic: string, text: string): RetainedRecord => ({
  topic,
  payload: Buffer.from(text),
  qos: 1,
  properties: null,
});

function retainedStore(): { retained: RetainedStore; store: MemoryStore } {
  const store = new MemoryStore();
  const limits = { maxMessages: 100, maxBytes: 1024 * 1024 };
  return {
    retained: new RetainedStore(limits, new BrokerStats(), pino({ level: 'silent' }), realTimers, store),
    store,
  };
}

describe('restoring retained messages in the background', () => {
  it('keeps what was retained or cleared live over the older stored messages', () => {
    const { retained } = retainedStore();
    retained.beginRestore();
    retained.retain('r/live', Buffer.from('new'), 1);
    retained.retain('r/cleared', Buffer.alloc(0), 1);
    retained.restore([stored('r/live', 'old'), stored('r/cleared', 'old'), stored('r/other', 'stored')]);
    retained.endRestore();
    const texts = retained
      .matching({ kind: 'wildcard', filter: 'r/#', levels: ['r', '#'] })
      .map((m) => `${m.topic}=${Buffer.from(m.payload.bytes).toString()}`)
      .sort();
    expect(texts).toEqual(['r/live=new', 'r/other=stored']);
  });

  it('holds the deliveries of subscriptions made meanwhile until the restore ends', () => {
    const { retained } = retainedStore();
    retained.beginRestore();
    const delivered: string[] = [];
    retained.afterRestore(() => delivered.push('first'));
    retained.afterRestore(() => {
      throw new Error('one failing delivery');
    });
    retained.afterRestore(() => delivered.push('second'));
    retained.restore([stored('r/a', 'a')]);
    expect(delivered).toEqual([]);
    retained.endRestore();
    expect(delivered).toEqual(['first', 'second']);
    retained.afterRestore(() => delivered.push('after'));
    expect(delivered).toEqual(['first', 'second', 'after']);
  });

  it('serves all of a large store to a subscriber that arrives while it is read', async () => {
    const path = temp().path;
    let tb = await startTestBroker({ mqtt: { transports: ['tcp'] }, persistence: { path } });
    const pub = await fx.clients.connect(tb.mqttUrl!, 5, { username: 'pub' });
    for (let i = 0; i < 5000; i++) pub.publish(`r/${i}`, `v${i}`, { qos: 0, retain: true });
    await pub.publishAsync('r/last', 'last', { qos: 1, retain: true });
    await fx.clients.teardown();
    await tb.close();

    fx.tb = tb = await startTestBroker({ mqtt: { transports: ['tcp'] }, persistence: { path } });
    const sub = await fx.clients.connect(tb.mqttUrl!, 5, { username: 'sub' });
    const got = inbox(sub);
    await sub.subscribeAsync('r/#', { qos: 0 });
    await got.count(5001);
    expect(new Set(got.items.map((m) => m.topic)).size).toBe(5001);
  });
});
