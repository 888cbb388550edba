// The policy module's `${user}` injection guarantee end to end: users whose names look like
// wildcards, regexes, level separators or placeholders log on (allow-any authentication) and must
// not reach another user's topics, neither by exact subscription nor through wildcard deliveries.
import { describe, expect, it } from 'vitest';
import { refusal, TopicLog, useResources, type Resources } from './helpers.js';

const res = useResources();

const INJECTED = ['#', '+', 'a/b', '.*', '${group}', '${user}', 'alice|bob', '(', 'al'] as const;

// A policy *file* is read without config substitution, so `${user}` is written as is.
const POLICY = {
  allowUnknownUser: false,
  groups: {
    admins: { users: ['admin'], grants: [{ actions: ['read', 'write'], topics: ['#'] }] },
    traders: {
      users: ['alice', ...INJECTED],
      grants: [
        { actions: ['read', 'write'], topics: ['orders/${user}/#'] },
        { actions: ['read'], topics: ['re:inbox/${user}/[0-9]+', 'tmp/${user}-home/#'] },
        { actions: ['read'], topics: ['public/#'] },
      ],
    },
  },
};

async function injectionBroker(resources: Resources): Promise<string> {
  const dir = resources.tempDir();
  const file = dir.write('policy.json', JSON.stringify(POLICY));
  const tb = await resources.broker({
    security: { authentication: { module: 'allow-any' }, entitlement: { module: 'policy', options: { file } } },
  });
  return tb.url;
}

const ALICE_TOPICS = ['orders/alice/x', 'orders/alice', 'inbox/alice/1', 'tmp/alice-home/x'];

describe('policy: ${user} injection', () => {
  it('alice herself gets her topics (the grants work)', async () => {
    const url = await injectionBroker(res);
    const alice = await res.client(url, { user: 'alice', password: 'x' });
    for (const topic of ALICE_TOPICS) await alice.subscribe({ topic });
    await alice.publish('orders/alice/x', 1, { ack: true });
    expect(await refusal(alice.subscribe({ topic: 'inbox/alice/1x' }))).toBe('NOT_ENTITLED');
  });

  for (const name of INJECTED) {
    it(`a user named ${JSON.stringify(name)} cannot subscribe to or publish on alice's topics`, async () => {
      const url = await injectionBroker(res);
      const c = await res.client(url, { user: name, password: 'x' });
      expect(c.user).toBe(name);
      for (const topic of ALICE_TOPICS) expect(await refusal(c.subscribe({ topic })), topic).toBe('NOT_ENTITLED');
      expect(await refusal(c.publish('orders/alice/x', 'spoof', { ack: true }))).toBe('NOT_ENTITLED');
      expect(await refusal(c.subscribe({ topic: 'inbox/bob/1' }))).toBe('NOT_ENTITLED');
    });
  }

  it("wildcard and regex subscriptions of the injected users receive none of alice's messages", async () => {
    const url = await injectionBroker(res);
    const admin = await res.client(url, { user: 'admin', password: 'x' });
    const logs = new Map<string, TopicLog>();
    for (const name of INJECTED) {
      const c = await res.client(url, { user: name, password: 'x' });
      const wildcard = new TopicLog();
      const regex = new TopicLog();
      logs.set(`${name} #`, wildcard);
      logs.set(`${name} regex`, regex);
      await c.subscribe({ topic: '#' }, wildcard.handler);
      await c.subscribe({ regex: '.*' }, regex.handler);
    }
    for (const topic of [...ALICE_TOPICS, 'orders/bob/1', 'inbox/x/1', 'public/end'])
      await admin.publish(topic, topic, { ack: true });
    await Promise.all([...logs.values()].map((log) => log.until('public/end')));
    for (const [name, log] of logs) expect(log.topics, name).toEqual(['public/end']);
  });

  it('a name gets exactly its own literal level: `.*` reads orders/.*/x, `${group}` reads orders/${group}/x, nothing more', async () => {
    const url = await injectionBroker(res);
    const dotStar = await res.client(url, { user: '.*', password: 'x' });
    await dotStar.subscribe({ topic: 'orders/.*/x' });
    await dotStar.subscribe({ topic: 'inbox/.*/7' });
    expect(await refusal(dotStar.subscribe({ topic: 'inbox/..../7' }))).toBe('NOT_ENTITLED');
    expect(await refusal(dotStar.subscribe({ topic: 'orders/../x' }))).toBe('NOT_ENTITLED');

    const group = await res.client(url, { user: '${group}', password: 'x' });
    await group.subscribe({ topic: 'orders/${group}/x' });
    expect(await refusal(group.subscribe({ topic: 'orders/traders/x' }))).toBe('NOT_ENTITLED');

    const placeholder = await res.client(url, { user: '${user}', password: 'x' });
    await placeholder.subscribe({ topic: 'orders/${user}/x' });
    expect(await refusal(placeholder.subscribe({ topic: 'orders/${group}/x' }))).toBe('NOT_ENTITLED');

    const alternation = await res.client(url, { user: 'alice|bob', password: 'x' });
    await alternation.subscribe({ topic: 'inbox/alice|bob/1' });
    expect(await refusal(alternation.subscribe({ topic: 'inbox/bob/1' }))).toBe('NOT_ENTITLED');

    // A prefix of alice's name is not alice: `tmp/${user}-home` is compared as a whole level.
    const al = await res.client(url, { user: 'al', password: 'x' });
    await al.subscribe({ topic: 'tmp/al-home/x' });
    expect(await refusal(al.subscribe({ topic: 'tmp/alice-home/x' }))).toBe('NOT_ENTITLED');

    // A name with `/` spans two levels: its placeholder levels match nothing at all.
    const slash = await res.client(url, { user: 'a/b', password: 'x' });
    expect(await refusal(slash.subscribe({ topic: 'orders/a/b/x' }))).toBe('NOT_ENTITLED');
    expect(await refusal(slash.subscribe({ topic: 'orders/a/b' }))).toBe('NOT_ENTITLED');
    expect(await refusal(slash.subscribe({ topic: 'tmp/a/b-home/x' }))).toBe('NOT_ENTITLED');
    await slash.subscribe({ topic: 'public/x' });
  });
});
