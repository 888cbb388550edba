// The `policy` entitlement module end to end with the shipped example: config/examples/secure.yaml
// (users module with admin/alice/bob/eve) and its policy.yaml, loaded as an operator would.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../../client/index.js';
import { loadConfigFile, type WardenConfig, type WardenConfigInput } from '../../../server/config/index.js';
import { refusal, TopicLog, useResources } from './helpers.js';

const res = useResources();

const EXAMPLES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../config/examples');
const PASSWORDS: Record<string, string> = { admin: 'admin-secret', alice: 'alice-pw', bob: 'bob-pw', eve: 'eve-pw' };

let secure: WardenConfig;
beforeAll(() => {
  secure = loadConfigFile(resolve(EXAMPLES, 'secure.yaml'));
});

/** A broker with secure.yaml's security section (relative paths resolve in config/examples). */
const exampleBroker = (extra: { authentication?: NonNullable<WardenConfigInput['security']>['authentication'] } = {}) =>
  res.broker({
    security: { ...secure.security, ...(extra.authentication ? { authentication: extra.authentication } : {}) },
    baseDir: EXAMPLES,
  });

describe('example policy (secure.yaml + policy.yaml)', () => {
  let url: string;
  const as = (user: string): Promise<Client> => res.client(url, { user, password: PASSWORDS[user]! });

  it('the example users log on with their passwords and with SCRAM-SHA-256; identities are their names', async () => {
    url = (await exampleBroker()).url;
    for (const user of Object.keys(PASSWORDS)) expect((await as(user)).user).toBe(user);
    const scram = await res.client(url, { user: 'alice', password: 'alice-pw', mechanism: 'SCRAM-SHA-256' });
    expect(scram.user).toBe('alice');
    expect(await refusal(res.client(url, { user: 'alice', password: 'bob-pw' }))).toBe('LOGON_FAILED');
  });

  it('alice reads and writes orders/alice/x, and gets NOT_ENTITLED on orders/bob/x (subscribe and publish)', async () => {
    url = (await exampleBroker()).url;
    const alice = await as('alice');
    const log = new TopicLog();
    await alice.subscribe({ topic: 'orders/alice/x' }, log.handler);
    await alice.publish('orders/alice/x', { qty: 1 }, { ack: true });
    await log.until('orders/alice/x');
    expect(log.messages.items[0]!.data).toEqual({ qty: 1 });
    expect(await refusal(alice.subscribe({ topic: 'orders/bob/x' }))).toBe('NOT_ENTITLED');
    expect(await refusal(alice.publish('orders/bob/x', { qty: 1 }, { ack: true }))).toBe('NOT_ENTITLED');
    // The grant is for the level `alice` exactly.
    expect(await refusal(alice.subscribe({ topic: 'orders/alicex/x' }))).toBe('NOT_ENTITLED');
    expect(await refusal(alice.subscribe({ topic: 'orders' }))).toBe('NOT_ENTITLED');
    // bob gets his own book and not alice's.
    const bob = await as('bob');
    await bob.subscribe({ topic: 'orders/bob/x' });
    expect(await refusal(bob.subscribe({ topic: 'orders/alice/x' }))).toBe('NOT_ENTITLED');
    expect(await refusal(bob.publish('orders/alice/x', 'spoof', { ack: true }))).toBe('NOT_ENTITLED');
  });

  it('alice reads prices/x (and gets what admin publishes there) but cannot write it', async () => {
    url = (await exampleBroker()).url;
    const alice = await as('alice');
    const admin = await as('admin');
    const log = new TopicLog();
    await alice.subscribe({ topic: 'prices/x' }, log.handler);
    expect(await refusal(alice.publish('prices/x', 'fake', { ack: true }))).toBe('NOT_ENTITLED');
    await admin.publish('prices/x', 101, { ack: true });
    await log.until('prices/x');
    expect(log.messages.items.map((m) => m.data)).toEqual([101]);
  });

  it('eve reads prices/public/x only, and writes nothing', async () => {
    url = (await exampleBroker()).url;
    const eve = await as('eve');
    await eve.subscribe({ topic: 'prices/public/x' });
    await eve.subscribe({ topic: 'prices/public' });
    expect(await refusal(eve.subscribe({ topic: 'prices/x' }))).toBe('NOT_ENTITLED');
    expect(await refusal(eve.subscribe({ topic: 'orders/eve/x' }))).toBe('NOT_ENTITLED');
    expect(await refusal(eve.publish('prices/public/x', 1, { ack: true }))).toBe('NOT_ENTITLED');
    expect(await refusal(eve.publish('orders/eve/x', 1, { ack: true }))).toBe('NOT_ENTITLED');
  });

  it('a wildcard orders/# subscription by alice only receives orders/alice/... messages published by admin', async () => {
    url = (await exampleBroker()).url;
    const alice = await as('alice');
    const eve = await as('eve');
    const admin = await as('admin');
    const aliceLog = new TopicLog();
    const aliceRegexLog = new TopicLog();
    const eveLog = new TopicLog();
    await alice.subscribe({ topic: 'orders/#' }, aliceLog.handler);
    await alice.subscribe({ regex: '^orders/' }, aliceRegexLog.handler);
    await eve.subscribe({ topic: '#' }, eveLog.handler);
    const topics = [
      'orders/bob/1',
      'orders/alice/1',
      'orders',
      'orders/alicex/1',
      'orders/alice/a/b',
      'prices/x',
      'orders/bob/2',
      'prices/public/y',
      'orders/alice/end',
    ];
    for (const topic of topics) await admin.publish(topic, topic, { ack: true });
    await Promise.all([
      aliceLog.until('orders/alice/end'),
      aliceRegexLog.until('orders/alice/end'),
      eveLog.until('prices/public/y'),
    ]);
    expect(aliceLog.topics).toEqual(['orders/alice/1', 'orders/alice/a/b', 'orders/alice/end']);
    expect(aliceRegexLog.topics).toEqual(['orders/alice/1', 'orders/alice/a/b', 'orders/alice/end']);
    // eve's `#` gets prices/public only: a last message she may read, from the same publisher,
    // arrives after everything published before it.
    await admin.publish('prices/public/end', 'end', { ack: true });
    await eveLog.until('prices/public/end');
    expect(eveLog.topics).toEqual(['prices/public/y', 'prices/public/end']);
  });

  it('an unknown user is refused at logon: by the users module, and by the policy behind allow-any', async () => {
    url = (await exampleBroker()).url;
    expect(await refusal(res.client(url, { user: 'mallory', password: 'alice-pw' }))).toBe('LOGON_FAILED');

    // Authentication lets anyone in; the policy (allowUnknownUser: false) still refuses the logon.
    const open = await exampleBroker({ authentication: { module: 'allow-any' } });
    expect(await refusal(res.client(open.url, { user: 'mallory', password: 'anything' }))).toBe('LOGON_FAILED');
    expect(await refusal(res.client(open.url, { user: 'Alice', password: 'anything' }))).toBe('LOGON_FAILED');
    expect((await res.client(open.url, { user: 'alice', password: 'anything' })).user).toBe('alice');
    const raw = await res.raw(open.url);
    expect(await raw.request({ op: 'logon', rid: 1, user: 'mallory', password: 'x' })).toMatchObject({
      op: 'error',
      code: 'LOGON_FAILED',
    });
    expect((await raw.closed).code).toBe(4003);
  });
});
