// The security gates alone, with real authentication and entitlement modules (plain ESM files, as
// an operator writes them) that record each call: each gate's steps run in their fixed order, a
// refusal stops the pipeline where it happens, and each refusal is counted once.
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Admission } from '../../server/admission/admission.js';
import { AdmissionRefusal } from '../../server/admission/refusal.js';
import { parseConfig } from '../../server/config/index.js';
import { Message } from '../../server/delivery/message.js';
import { Payload } from '../../server/delivery/payload.js';
import { ListenerGates } from '../../server/gates/listener-gates.js';
import type { LogonAttempt, LogonResult } from '../../server/gates/logon-gate.js';
import { isPromiseLike, type Decision } from '../../server/security/decision.js';
import type { LogonRequest } from '../../server/security/module-types.js';
import { SecurityManager } from '../../server/security/security-manager.js';
import { BrokerStats } from '../../server/stats.js';
import { RegexBudget } from '../../server/topics/index.js';
import { moduleDir } from '../helpers/module-files.js';

const modules = moduleDir();
afterAll(() => modules.remove());

// Accepts any password except "wrong"; "challenge" asks a question whose right answer is "42".
const authentication = modules.write(
  'auth.mjs',
  `export default function () {
    const calls = (globalThis.__gateAuthCalls = []);
    return {
      name: 'recording-auth',
      authenticate(request) {
        calls.push(request.user);
        if (request.password === 'wrong') return { outcome: 'reject', reason: 'bad password' };
        if (request.password === 'challenge') {
          return { outcome: 'challenge', data: 'question', respond: (answer) =>
            answer === '42' ? { outcome: 'accept', identity: request.user, data: 'welcome' } : { outcome: 'reject', reason: 'wrong answer' } };
        }
        return { outcome: 'accept', identity: request.user };
      },
    };
  }`,
);

// "banned" may not log on; only "writer" may write, and to "json/..." only JSON with ok = true;
// everyone reads anything but "secret/...".
const entitlement = modules.write(
  'entitlement.mjs',
  `export default function () {
    const calls = (globalThis.__gateEntitlementCalls = []);
    return {
      name: 'recording-entitlement',
      check({ user, action, resource }) {
        calls.push(action + ' ' + user + ' ' + resource);
        if (action === 'logon') return { allow: user !== 'banned' };
        if (action === 'write') {
          if (user !== 'writer') return { allow: false };
          return resource.startsWith('json/') ? { allow: true, filter: 'ok = true' } : { allow: true };
        }
        return { allow: !resource.startsWith('secret/') };
      },
    };
  }`,
);

const authCalls = (): string[] => (globalThis as unknown as { __gateAuthCalls: string[] }).__gateAuthCalls;
const entitlementCalls = (): string[] =>
  (globalThis as unknown as { __gateEntitlementCalls: string[] }).__gateEntitlementCalls;

interface Fixture {
  gates: ListenerGates;
  stats: BrokerStats;
  admission: Admission;
  security: SecurityManager;
}

let fixture: Fixture | null = null;
afterEach(async () => {
  await fixture?.security.close();
  fixture = null;
});

async function setUp(limits: Record<string, unknown> = {}): Promise<Fixture> {
  const config = parseConfig({
    listeners: [{ name: 'native', protocol: 'native', port: 0 }],
    security: { authentication: { module: authentication }, entitlement: { module: entitlement } },
    limits,
  });
  const log = pino({ level: 'silent' });
  const stats = new BrokerStats();
  const security = await SecurityManager.create(config, modules.dir, log, stats);
  const admission = new Admission(config.admission, config.limits, stats, log);
  const topicLimits = {
    maxTopicLength: 256,
    maxLevels: 16,
    maxRegexLength: 256,
    maxRegexProgramSize: 1000,
    maxRegexMatchStateBytes: 1 << 20,
  };
  const regexBudget = new RegexBudget(config.topics.regex, stats);
  const gates = new ListenerGates(
    security.forListener('native'),
    { admission, stats, topicLimits, regexBudget, audit: null },
    log,
  );
  fixture = { gates, stats, admission, security };
  return fixture;
}

function attempt(user: string, password: string, more: Partial<LogonAttempt> = {}): LogonAttempt {
  const request: LogonRequest = {
    user,
    password,
    token: undefined,
    mechanism: 'password',
    data: undefined,
    remoteAddress: '127.0.0.1',
    listener: 'native',
    peerCertificate: undefined,
  };
  return {
    protocol: 'native',
    session: 's1',
    request,
    acceptRefusal: null,
    challengeable: true,
    stillWaiting: () => true,
    beforeAdmission: null,
    replaces: null,
    ...more,
  };
}

async function settled(decision: Decision | Promise<Decision>): Promise<Decision> {
  return isPromiseLike(decision) ? await decision : decision;
}

function reasonOf(result: LogonResult): string {
  return result.kind === 'refused' ? `refused:${result.reason}` : result.kind;
}

describe('LogonGate', () => {
  it('accepts: authentication, logon entitlement, the protocol check, then admission, and counts one logon', async () => {
    const { gates, stats, admission } = await setUp();
    const checked: string[] = [];
    const result = await gates.logon.logon(
      attempt('alice', 'pw', { beforeAdmission: (identity) => (checked.push(identity), null) }),
    );
    expect(result.kind).toBe('accepted');
    expect(authCalls()).toEqual(['alice']);
    expect(entitlementCalls()).toEqual(['logon alice ']);
    expect(checked).toEqual(['alice']);
    expect(admission.status().admitted.connections).toBe(1);
    expect([stats.logons, stats.logonFailures]).toEqual([1, 0]);
  });

  it("answers admission's refusal at accept without asking either module", async () => {
    const { gates, stats } = await setUp();
    const refusal = new AdmissionRefusal('rate-limited', 'host over its rate');
    const result = await gates.logon.logon(attempt('alice', 'pw', { acceptRefusal: refusal }));
    expect(result).toMatchObject({ kind: 'refused', reason: 'admission', admission: refusal });
    expect(authCalls()).toEqual([]);
    expect(entitlementCalls()).toEqual([]);
    expect(stats.logonFailures).toBe(1);
  });

  it('a rejected authentication never reaches the logon entitlement or admission', async () => {
    const { gates, stats, admission } = await setUp();
    expect(reasonOf(await gates.logon.logon(attempt('alice', 'wrong')))).toBe('refused:rejected');
    expect(entitlementCalls()).toEqual([]);
    expect(admission.status().admitted.connections).toBe(0);
    expect([stats.logons, stats.logonFailures]).toEqual([0, 1]);
  });

  it('a denied logon entitlement stops before the protocol check and admission', async () => {
    const { gates, admission } = await setUp();
    let asked = false;
    const result = await gates.logon.logon(attempt('banned', 'pw', { beforeAdmission: () => ((asked = true), null) }));
    expect(reasonOf(result)).toBe('refused:not-entitled');
    expect(asked).toBe(false);
    expect(admission.status().admitted.connections).toBe(0);
  });

  it("the protocol's refusal comes before admission, which is never charged", async () => {
    const { gates, admission } = await setUp();
    const result = await gates.logon.logon(
      attempt('alice', 'pw', { beforeAdmission: () => 'client id held by another user' }),
    );
    expect(result).toMatchObject({
      kind: 'refused',
      reason: 'protocol',
      detail: 'client id held by another user',
      user: 'alice',
    });
    expect(admission.status().admitted.connections).toBe(0);
  });

  it('a connection gone while its module answered is abandoned: nothing counted, nothing admitted', async () => {
    const { gates, stats, admission } = await setUp();
    const result = await gates.logon.logon(attempt('alice', 'pw', { stillWaiting: () => false }));
    expect(result.kind).toBe('abandoned');
    expect(entitlementCalls()).toEqual([]);
    expect(admission.status().admitted.connections).toBe(0);
    expect([stats.logons, stats.logonFailures]).toEqual([0, 0]);
  });

  it('a challenge goes back to the protocol; the answer continues through the same pipeline', async () => {
    const { gates } = await setUp();
    const first = attempt('carol', 'challenge');
    const result = await gates.logon.logon(first);
    if (result.kind !== 'challenge') throw new Error(`expected a challenge, got ${result.kind}`);
    expect(result.challenge.data).toBe('question');
    expect(entitlementCalls()).toEqual([]);
    const answered = await gates.logon.respond(first, result.challenge, '42');
    expect(answered).toMatchObject({ kind: 'accepted', identity: 'carol', data: 'welcome' });
    expect(entitlementCalls()).toEqual(['logon carol ']);
  });

  it('refuses a challenge where the client cannot answer one', async () => {
    const { gates } = await setUp();
    expect(reasonOf(await gates.logon.logon(attempt('carol', 'challenge', { challengeable: false })))).toBe(
      'refused:challenge-unsupported',
    );
  });
});

describe('PublishGate', () => {
  const message = (topic: string, payload: unknown, stats: BrokerStats): Message =>
    new Message(topic, Payload.ofValue(payload), stats);

  it('a denied write is refused before the topic rate is charged or the filter runs', async () => {
    const { gates, stats, admission } = await setUp({ public: { maxPublishTopicsPerSecond: 1 } });
    const gate = gates.publishGate('native');
    const admitted = admission.admit('reader', '127.0.0.1', null);
    if (admitted instanceof AdmissionRefusal) throw new Error(admitted.detail);
    gate.admit(admitted);
    const denied = await settled(gate.decide('reader', 'a'));
    expect(gate.authorize(denied, message('a', { ok: true }, stats), 'counted', () => {})).toMatchObject({
      reason: 'not-entitled',
    });
    expect(stats.publishesDenied).toBe(1);
    // The window of one topic per second is still free: the denied publish did not use it.
    const writer = gates.publishGate('native');
    writer.admit(admitted);
    const allowed = await settled(writer.decide('writer', 'b'));
    expect(writer.authorize(allowed, message('b', 1, stats), 'counted', () => {})).toBeNull();
    expect(writer.authorize(allowed, message('c', 1, stats), 'counted', () => {})).toMatchObject({
      reason: 'topic-rate',
    });
    expect(writer.authorize(allowed, message('c', 1, stats), 'exempt', () => {})).toBeNull();
    expect(stats.publishesOverTopicLimit).toBe(1);
  });

  it('the write filter runs last and tells a mismatch from a payload that is not an object', async () => {
    const { gates, stats } = await setUp();
    const gate = gates.publishGate('native');
    const decision = await settled(gate.decide('writer', 'json/x'));
    expect(decision.filter).toBe('ok = true');
    expect(gate.authorize(decision, message('json/x', { ok: true }, stats), 'counted', () => {})).toBeNull();
    expect(gate.authorize(decision, message('json/x', { ok: false }, stats), 'counted', () => {})).toMatchObject({
      reason: 'filtered',
    });
    expect(gate.authorize(decision, message('json/x', 'text', stats), 'counted', () => {})).toMatchObject({
      reason: 'not-object',
    });
    expect(stats.publishesFiltered).toBe(2);
  });

  it("asks the module once per topic for a connection's publishes", async () => {
    const { gates } = await setUp();
    const gate = gates.publishGate('native');
    for (let i = 0; i < 5; i++) await settled(gate.decide('writer', 'b'));
    expect(entitlementCalls().filter((c) => c.startsWith('write'))).toEqual(['write writer b']);
  });

  it('checks the topic and the size of the connection group, and counts a message too large', async () => {
    const { gates, stats, admission } = await setUp({ public: { maxMessageBytes: 10 } });
    const gate = gates.publishGate('native');
    expect(gate.checkTopic('a/+')).toMatchObject({ reason: 'invalid-topic' });
    expect(gate.checkSize(1_000_000)).toBeNull(); // no group yet: the listener's frame limit applies
    const admitted = admission.admit('writer', '127.0.0.1', null);
    if (admitted instanceof AdmissionRefusal) throw new Error(admitted.detail);
    gate.admit(admitted);
    expect(gate.checkSize(10)).toBeNull();
    expect(gate.checkSize(11)).toMatchObject({
      reason: 'too-large',
      detail: 'the message is 11 bytes; this connection may publish at most 10',
    });
    expect(stats.publishesTooLarge).toBe(1);
  });
});

describe('SubscribeGate', () => {
  it('entitles a literal topic now, and a wildcard at delivery without asking the module', async () => {
    const { gates, stats } = await setUp();
    const gate = gates.subscribe;
    const wildcard = gate.parse('alice', 'secret/#', undefined);
    if (wildcard.kind !== 'parsed') throw new Error(wildcard.detail);
    expect(
      gate.conclude(await settled(gate.decide('alice', wildcard.pattern)), wildcard.pattern, 'alice', 'native'),
    ).toBeNull();
    expect(entitlementCalls()).toEqual([]);
    const exact = gate.parse('alice', 'secret/x', undefined);
    if (exact.kind !== 'parsed') throw new Error(exact.detail);
    expect(
      gate.conclude(await settled(gate.decide('alice', exact.pattern)), exact.pattern, 'alice', 'native'),
    ).toMatchObject({
      reason: 'not-entitled',
      detail: 'not entitled to read "secret/x"',
    });
    expect(entitlementCalls()).toEqual(['read alice secret/x']);
    expect(stats.subscriptionsDenied).toBe(1);
  });

  it('charges a regex to the regex budget, and refuses filters and counts past the limit', async () => {
    const { gates, stats } = await setUp();
    const gate = gates.subscribe;
    const regex = gate.parse('alice', undefined, '^a/.*$');
    if (regex.kind !== 'parsed') throw new Error(regex.detail);
    expect(regex.lease).not.toBeNull();
    regex.lease!.release();
    expect(gate.parse('alice', 'a/#/b', undefined)).toMatchObject({ kind: 'refused', reason: 'invalid-filter' });
    // NUL is reserved for vhost namespaces, in a regex as in a topic.
    expect(gate.parse('alice', undefined, '\u0000a.com/.*')).toMatchObject({
      kind: 'refused',
      reason: 'invalid-filter',
      detail: 'regex contains a NUL character: "\\u0000a.com/.*"',
    });
    expect(gate.checkRoom(2, 3)).toBeNull();
    expect(gate.checkRoom(3, 3)).toMatchObject({
      reason: 'too-many',
      detail: 'this connection already has 3 subscriptions, the maximum',
    });
    expect(stats.subscriptionsOverLimit).toBe(1);
  });
});
