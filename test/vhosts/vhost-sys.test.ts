// $SYS with vhosts: each vhost's own values in its namespace, and the broker-wide view of every vhost.
import { expect, it } from 'vitest';
import { BrokerStats } from '../../server/stats.js';
import { SysTopics, type SysVhost } from '../../server/sys/sys-topics.js';
import { VhostNamespace } from '../../server/vhosts/vhost-namespace.js';

it("publishes each vhost's values in its own namespace and every vhost's in the broker's", () => {
  const vhosts: SysVhost[] = [
    {
      name: 'a.example',
      namespace: new VhostNamespace('a.example'),
      limits: { connections: 3 },
      counters: { messagesReceived: 7, deliveries: 21 },
    },
    {
      name: '$default',
      namespace: VhostNamespace.DEFAULT,
      limits: { connections: 1 },
      counters: { messagesReceived: 2, deliveries: 4 },
    },
  ];
  const stats = new BrokerStats();
  stats.admittedConnections = 4;
  const sys = new SysTopics(
    10,
    { stats, keptSessions: () => 0, subscriptions: () => 0, retainedMessages: () => 0, vhosts: () => vhosts },
    () => undefined,
    '1.2.3',
    null,
    () => undefined,
  );
  const values = sys.values();
  const a = new VhostNamespace('a.example');
  expect(values.get(a.topic('$SYS/broker/clients/connected'))).toBe('3');
  expect(values.get(a.topic('$SYS/broker/messages/received'))).toBe('7');
  expect(values.get(a.topic('$SYS/broker/messages/sent'))).toBe('21');
  expect(values.get(a.topic('$SYS/broker/version'))).toBe('warden version 1.2.3');
  // The broker's own stay the broker's: the $default vhost's namespace is the broker's.
  expect(values.get('$SYS/broker/clients/connected')).toBe('4');
  expect(values.get('$SYS/broker/vhosts/a.example/clients/connected')).toBe('3');
  expect(values.get('$SYS/broker/vhosts/$default/messages/received')).toBe('2');
  // Nothing of a.example's in any other namespace than its own and the broker's view.
  for (const topic of values.keys())
    if (topic.includes('a.example'))
      expect(topic.startsWith(a.prefix) || topic.startsWith('$SYS/broker/vhosts/')).toBe(true);
});
