// [MQTT-4.7.2-1]: a filter whose first level is a wildcard does not match topics starting with '$';
// a filter that names the '$' level does. The topic engine (wildcard-trie.ts) implements it.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { inbox, MqttClients, type Version } from './mqtt-helpers.js';

let tb: TestBroker | null = null;
const clients = new MqttClients();
afterEach(async () => {
  await clients.teardown();
  await tb?.close();
  tb = null;
});

describe.each<Version>([4, 5])('MQTT %i $-topics', (version) => {
  it('"#" and "+/..." do not match $-topics; "$SYS/#" does', async () => {
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const wild = await clients.connect(tb.mqttUrl!, version, { username: 'wild' });
    const wildGot = inbox(wild);
    await wild.subscribeAsync(['#', '+/x'], { qos: 1 });
    const sys = await clients.connect(tb.mqttUrl!, version, { username: 'sys' });
    const sysGot = inbox(sys);
    await sys.subscribeAsync('$SYS/#', { qos: 1 });
    const pub = await clients.connect(tb.mqttUrl!, version, { username: 'pub' });
    await pub.publishAsync('$SYS/x', 'dollar', { qos: 1 });
    await pub.publishAsync('a/x', 'plain', { qos: 1 }); // after the $-topic, from the same publisher
    await sysGot.count(1);
    await wildGot.count(1); // per-publisher order: "dollar" would have come first
    expect(sysGot.items.map((m) => [m.topic, m.text])).toEqual([['$SYS/x', 'dollar']]);
    expect(wildGot.items.map((m) => [m.topic, m.text])).toEqual([['a/x', 'plain']]);
  });
});
