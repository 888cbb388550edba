// Failed-logon back-off (security.logonBackoff, as EMQX's flapping detection): after N
// refused logons in a window from one host, or for one user name, further logons from that host /
// for that name are refused without a check (native LOGON_BLOCKED, MQTT CONNACK 0x8A / 3), for a
// time that doubles with each block. Two hosts on one machine (127.0.0.1, 127.0.0.2); the broker's
// clock stands still until the test moves it, so counting decides, never timing.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../../server/index.js';
import { hashPassword } from '../../server/security/authentication/password-hash.js';
import { FailureTracker } from '../../server/security/logon-backoff.js';
import { assertTestTransport, TEST_TRANSPORT } from '../helpers/broker.js';
import { HOST_A, HOST_B, TwoHosts, type LogonAnswer } from '../helpers/two-hosts.js';
import { ManualClock } from '../admission/fixture.js';

const hosts = new TwoHosts();
const brokers: BrokerHandle[] = [];
let users: { name: string; hash: string }[];

beforeAll(async () => {
  const cheap = { N: 1024, r: 8, p: 1 };
  users = [
    { name: 'alice', hash: await hashPassword('alice-pw', cheap) },
    { name: 'bob', hash: await hashPassword('bob-pw', cheap) },
  ];
});

afterEach(async () => {
  hosts.teardown();
  await Promise.all(brokers.splice(0).map((b) => b.close()));
});

afterAll(() => hosts.teardown());

interface Started {
  broker: BrokerHandle;
  clock: ManualClock;
  url: string;
  mqttUrl: string;
}

async function start(logonBackoff: Record<string, number>): Promise<Started> {
  const clock = new ManualClock();
  const broker = await startBroker(
    {
      log: { level: 'silent' },
      persistence: 'none',
      admin: { enabled: false },
      shutdown: { graceMs: 500 },
      security: { authentication: { module: 'users', options: { users } }, logonBackoff },
      listeners: [
        { name: 'native', protocol: 'native', host: '127.0.0.1', port: 0, transport: TEST_TRANSPORT },
        { name: 'mqtt', protocol: 'mqtt', transport: 'tcp', host: '127.0.0.1', port: 0 },
      ],
    },
    { clock: clock.read },
  );
  brokers.push(broker);
  assertTestTransport(broker);
  return { broker, clock, url: broker.listeners[0]!.url, mqttUrl: broker.listeners[1]!.url };
}

let clientIds = 0;
const mqtt = (tb: Started, host: string, user: string, password: string, version: 4 | 5 = 5): Promise<LogonAnswer> =>
  hosts.mqtt(
    tb.mqttUrl,
    host,
    { clientId: `c${++clientIds}`, username: user, password: Buffer.from(password) },
    version,
  ).answer;
const native = (tb: Started, host: string, user: string, password: string): Promise<LogonAnswer> =>
  hosts.native(tb.url, host, user, password).answer;

describe('failed-logon back-off per host', () => {
  it('after hostFailures refusals from 127.0.0.2, even the right password from there is refused, without a check; 127.0.0.1 is not', async () => {
    const tb = await start({ hostFailures: 3, userFailures: 0, blockMs: 10_000 });
    for (const user of ['alice', 'bob', 'nobody']) expect(await mqtt(tb, HOST_B, user, 'wrong')).toBe(0x86);
    expect(await mqtt(tb, HOST_B, 'alice', 'alice-pw')).toBe(0x8a);
    expect(await mqtt(tb, HOST_B, 'alice', 'alice-pw', 4)).toBe(3);
    expect(await native(tb, HOST_B, 'bob', 'bob-pw')).toBe('LOGON_BLOCKED');
    expect(await mqtt(tb, HOST_A, 'alice', 'alice-pw')).toBe(0);
    expect(await native(tb, HOST_A, 'bob', 'bob-pw')).toBe('ack');
    expect(tb.broker.stats()).toMatchObject({ logonBlocks: 1, logonsRefusedBlocked: 3, logons: 2 });
    // The block ends with blockMs.
    tb.clock.advance(10_000);
    expect(await mqtt(tb, HOST_B, 'alice', 'alice-pw')).toBe(0);
  });

  it('each further block lasts twice as long, up to maxBlockMs; a quiet host starts again from blockMs', async () => {
    const tb = await start({ hostFailures: 2, userFailures: 0, windowMs: 60_000, blockMs: 1000, maxBlockMs: 4000 });
    const failTwice = async (): Promise<void> => {
      for (let i = 0; i < 2; i++) expect(await mqtt(tb, HOST_B, 'alice', 'wrong')).toBe(0x86);
    };
    const blockedFor = async (ms: number): Promise<void> => {
      tb.clock.advance(ms - 1);
      expect(await mqtt(tb, HOST_B, 'alice', 'wrong')).toBe(0x8a);
      tb.clock.advance(1);
    };
    await failTwice();
    await blockedFor(1000);
    await failTwice();
    await blockedFor(2000);
    await failTwice();
    await blockedFor(4000);
    await failTwice();
    await blockedFor(4000); // maxBlockMs
    // Quiet for longer than maxBlockMs after its last block: back to blockMs.
    tb.clock.advance(4001);
    await failTwice();
    await blockedFor(1000);
  });

  it('failures outside the window do not add up', async () => {
    const tb = await start({ hostFailures: 2, userFailures: 0, windowMs: 1000 });
    expect(await mqtt(tb, HOST_B, 'alice', 'wrong')).toBe(0x86);
    tb.clock.advance(1001);
    expect(await mqtt(tb, HOST_B, 'alice', 'wrong')).toBe(0x86);
    expect(await mqtt(tb, HOST_B, 'alice', 'alice-pw')).toBe(0);
  });
});

describe('failed-logon back-off per user name', () => {
  it('after userFailures refusals for alice (from 127.0.0.2), alice is refused from 127.0.0.1 too; bob is not', async () => {
    const tb = await start({ hostFailures: 0, userFailures: 3 });
    for (let i = 0; i < 3; i++) expect(await native(tb, HOST_B, 'alice', `guess${i}`)).toBe('LOGON_FAILED');
    expect(await native(tb, HOST_A, 'alice', 'alice-pw')).toBe('LOGON_BLOCKED');
    expect(await mqtt(tb, HOST_A, 'alice', 'alice-pw')).toBe(0x8a);
    expect(await mqtt(tb, HOST_A, 'bob', 'bob-pw')).toBe(0);
    expect(await native(tb, HOST_B, 'bob', 'bob-pw')).toBe('ack');
    expect(tb.broker.stats()).toMatchObject({ logonBlocks: 1, logonsRefusedBlocked: 2 });
  });

  it("a successful logon forgets the name's failures", async () => {
    const tb = await start({ hostFailures: 0, userFailures: 3 });
    for (let i = 0; i < 2; i++) expect(await mqtt(tb, HOST_B, 'alice', 'wrong')).toBe(0x86);
    expect(await mqtt(tb, HOST_A, 'alice', 'alice-pw')).toBe(0);
    for (let i = 0; i < 2; i++) expect(await mqtt(tb, HOST_B, 'alice', 'wrong')).toBe(0x86);
    expect(await mqtt(tb, HOST_A, 'alice', 'alice-pw')).toBe(0);
  });
});

describe('FailureTracker', () => {
  it('keeps at most maxTracked keys, forgetting the least recently failed first', () => {
    const clock = new ManualClock();
    const tracker = new FailureTracker(
      { failures: 2, windowMs: 60_000, blockMs: 1000, maxBlockMs: 1000, maxTracked: 100 },
      clock.read,
    );
    tracker.fail('victim');
    expect(tracker.fail('victim')).toBe(1000);
    for (let i = 0; i < 1000; i++) tracker.fail(`made-up-${i}`);
    expect(tracker.size).toBe(100);
    // The flood of names pushed the block out: memory stays bounded, at the price of forgetting.
    expect(tracker.blockedFor('victim')).toBe(0);
    expect(tracker.blockedFor('made-up-999')).toBe(0);
  });

  it('0 failures turns it off', () => {
    const tracker = new FailureTracker({ failures: 0, windowMs: 1, blockMs: 1, maxBlockMs: 1, maxTracked: 1 }, () => 0);
    for (let i = 0; i < 10; i++) expect(tracker.fail('x')).toBe(0);
    expect(tracker.size).toBe(0);
  });
});
