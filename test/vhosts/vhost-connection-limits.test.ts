// One vhost's connection limits alone: which limit refuses, with its numbers; tickets that give
// their place back exactly once; MQTT takeovers; live reconfiguration; counts that forget zeros.
import { describe, expect, it } from 'vitest';
import { AdmissionRefusal } from '../../server/admission/refusal.js';
import {
  VhostConnectionLimits,
  VhostLimitRefusal,
  VhostTicket,
  type VhostLimits,
} from '../../server/vhosts/vhost-connection-limits.js';
import { parseVhostPolicy } from '../../server/vhosts/vhost-policy-files.js';
import { VhostPolicyRules } from '../../server/vhosts/vhost-policy-rules.js';

const LIMITS: VhostLimits = {
  vhost: 'example.com',
  maxConnections: 4,
  maxConnectionsPerUser: 2,
  maxConnectionsPerHost: 3,
};

function ticket(answer: VhostTicket | VhostLimitRefusal): VhostTicket {
  if (!(answer instanceof VhostTicket)) throw new Error(`expected a ticket, refused: ${answer.detail}`);
  return answer;
}

function refusal(answer: VhostTicket | VhostLimitRefusal): VhostLimitRefusal {
  if (!(answer instanceof VhostLimitRefusal)) throw new Error('expected a refusal, got a ticket');
  return answer;
}

describe('VhostConnectionLimits', () => {
  it('admits up to each limit and says which one refused, with its numbers and the vhost', () => {
    const limits = new VhostConnectionLimits(LIMITS);
    ticket(limits.admit('alice', '10.0.0.1'));
    ticket(limits.admit('alice', '10.0.0.2'));
    const perUser = refusal(limits.admit('alice', '10.0.0.3'));
    expect(perUser).toBeInstanceOf(AdmissionRefusal);
    expect(perUser).toMatchObject({
      kind: 'connection-limit',
      vhost: 'example.com',
      limit: 'maxConnectionsPerUser',
      max: 2,
      subject: 'alice',
      detail: 'vhost example.com: maxConnectionsPerUser (2) reached for alice',
    });
    // The client is told nothing of the configuration.
    expect(perUser.clientMessage).toBe('connection limit reached; try again later');

    ticket(limits.admit('bob', '10.0.0.1'));
    ticket(limits.admit('carol', '10.0.0.1'));
    expect(refusal(limits.admit('dave', '10.0.0.9')).detail).toBe('vhost example.com: maxConnections (4) reached');
    expect(limits.connections).toBe(4);
  });

  it('refuses by host', () => {
    const limits = new VhostConnectionLimits({ ...LIMITS, maxConnections: 10 });
    for (const user of ['a', 'b', 'c']) ticket(limits.admit(user, '::1'));
    expect(refusal(limits.admit('d', '::1'))).toMatchObject({
      limit: 'maxConnectionsPerHost',
      max: 3,
      subject: '::1',
      detail: 'vhost example.com: maxConnectionsPerHost (3) reached for ::1',
    });
    ticket(limits.admit('d', '::2'));
  });

  it('checks the limits in the policy’s order: maxConnections, per user, per host', () => {
    const limits = new VhostConnectionLimits({ ...LIMITS, maxConnections: 1, maxConnectionsPerUser: 1 });
    ticket(limits.admit('alice', 'h'));
    expect(refusal(limits.admit('alice', 'h')).limit).toBe('maxConnections');
    limits.reconfigure({ ...LIMITS, maxConnections: 10, maxConnectionsPerUser: 1, maxConnectionsPerHost: 1 });
    expect(refusal(limits.admit('alice', 'h')).limit).toBe('maxConnectionsPerUser');
  });

  it('counts per user and per host, and forgets users and hosts at zero', () => {
    const limits = new VhostConnectionLimits(LIMITS);
    const a1 = ticket(limits.admit('alice', 'h1'));
    const a2 = ticket(limits.admit('alice', 'h2'));
    const b1 = ticket(limits.admit('bob', 'h1'));
    expect([limits.connections, limits.ofUser('alice'), limits.ofHost('h1'), limits.ofUser('nobody')]).toEqual([
      3, 2, 2, 0,
    ]);
    expect(limits.snapshot()).toEqual({
      vhost: 'example.com',
      connections: 3,
      users: { alice: 2, bob: 1 },
      hosts: { h1: 2, h2: 1 },
      limits: { maxConnections: 4, maxConnectionsPerUser: 2, maxConnectionsPerHost: 3 },
      refused: { maxConnections: 0, maxConnectionsPerUser: 0, maxConnectionsPerHost: 0 },
    });
    a1.release();
    b1.release();
    expect(limits.snapshot()).toMatchObject({ connections: 1, users: { alice: 1 }, hosts: { h2: 1 } });
    a2.release();
    expect(limits.snapshot()).toMatchObject({ connections: 0, users: {}, hosts: {} });
  });

  it('gives a ticket’s place back exactly once, however often it is released', () => {
    const limits = new VhostConnectionLimits(LIMITS);
    const first = ticket(limits.admit('alice', 'h'));
    ticket(limits.admit('alice', 'h'));
    expect(first.isReleased).toBe(false);
    first.release();
    first.release();
    expect(first.isReleased).toBe(true);
    expect([limits.connections, limits.ofUser('alice'), limits.ofHost('h')]).toEqual([1, 1, 1]);
    ticket(limits.admit('alice', 'h'));
    expect(refusal(limits.admit('alice', 'h')).limit).toBe('maxConnectionsPerUser');
  });

  it('counts a connection taken over (an MQTT client id) as gone, once', () => {
    const limits = new VhostConnectionLimits({ ...LIMITS, maxConnectionsPerUser: 1 });
    const old = ticket(limits.admit('alice', 'h1'));
    expect(refusal(limits.admit('alice', 'h2')).limit).toBe('maxConnectionsPerUser');
    const next = ticket(limits.admit('alice', 'h2', old));
    expect(next.vhost).toBe('example.com');
    // Until the old connection has closed, both hold a place.
    expect(limits.ofUser('alice')).toBe(2);
    old.release();
    expect(limits.snapshot()).toMatchObject({ connections: 1, users: { alice: 1 }, hosts: { h2: 1 } });
    // A released ticket is gone already: it frees nothing more.
    expect(refusal(limits.admit('alice', 'h3', old)).limit).toBe('maxConnectionsPerUser');
  });

  it('counts a takeover as gone against the total and the host too', () => {
    const limits = new VhostConnectionLimits({ ...LIMITS, maxConnections: 1, maxConnectionsPerHost: 1 });
    const old = ticket(limits.admit('alice', 'h'));
    expect(refusal(limits.admit('bob', 'h')).limit).toBe('maxConnections');
    // Another user taking over alice's client id: the total has room, bob's own count is 0.
    ticket(limits.admit('bob', 'h', old));
  });

  it('does not count another vhost’s ticket as gone', () => {
    const limits = new VhostConnectionLimits({ ...LIMITS, maxConnectionsPerUser: 1 });
    const other = new VhostConnectionLimits({ ...LIMITS, vhost: 'other.org' });
    ticket(limits.admit('alice', 'h'));
    const elsewhere = ticket(other.admit('alice', 'h'));
    expect(elsewhere.vhost).toBe('other.org');
    expect(refusal(limits.admit('alice', 'h', elsewhere)).limit).toBe('maxConnectionsPerUser');
  });

  it('keeps admitted connections over a lowered limit, and applies it from the next admit', () => {
    const limits = new VhostConnectionLimits(LIMITS);
    const tickets = [ticket(limits.admit('a', 'h1')), ticket(limits.admit('b', 'h2')), ticket(limits.admit('c', 'h3'))];
    limits.reconfigure({ ...LIMITS, maxConnections: 2 });
    expect(limits.connections).toBe(3);
    expect(refusal(limits.admit('d', 'h4')).detail).toBe('vhost example.com: maxConnections (2) reached');
    tickets[0].release();
    expect(refusal(limits.admit('d', 'h4')).limit).toBe('maxConnections');
    tickets[1].release();
    ticket(limits.admit('d', 'h4'));
    expect(limits.snapshot()).toMatchObject({
      connections: 2,
      users: { c: 1, d: 1 },
      limits: { maxConnections: 2 },
      refused: { maxConnections: 2 },
    });
    limits.reconfigure({ ...LIMITS, maxConnections: 10 });
    ticket(limits.admit('e', 'h5'));
  });

  it('counts refusals per limit', () => {
    const limits = new VhostConnectionLimits({ ...LIMITS, maxConnectionsPerUser: 1, maxConnectionsPerHost: 1 });
    ticket(limits.admit('alice', 'h1'));
    refusal(limits.admit('alice', 'h2'));
    refusal(limits.admit('alice', 'h2'));
    refusal(limits.admit('bob', 'h1'));
    expect(limits.snapshot().refused).toEqual({
      maxConnections: 0,
      maxConnectionsPerUser: 2,
      maxConnectionsPerHost: 1,
    });
  });

  it('takes a policy’s rules as its limits, keeping only the numbers', () => {
    const rules = new VhostPolicyRules(
      parseVhostPolicy({ hostname: 'Example.COM.', maxConnectionsPerHost: 5 }, 'jsonata', undefined),
    );
    const limits = new VhostConnectionLimits(rules);
    expect(limits.vhost).toBe('example.com');
    expect(limits.snapshot().limits).toEqual({
      maxConnections: 65535,
      maxConnectionsPerUser: 65535,
      maxConnectionsPerHost: 5,
    });
    expect(Object.isFrozen(limits.snapshot().limits)).toBe(true);
  });

  it('refuses limits that are no whole number of at least 1, and another vhost’s', () => {
    expect(() => new VhostConnectionLimits({ ...LIMITS, maxConnectionsPerHost: 0 })).toThrow(
      new RangeError('vhost example.com: maxConnectionsPerHost must be a whole number of at least 1, not 0'),
    );
    expect(() => new VhostConnectionLimits({ ...LIMITS, maxConnections: 1.5 })).toThrow(RangeError);
    const limits = new VhostConnectionLimits(LIMITS);
    expect(() => limits.reconfigure({ ...LIMITS, vhost: 'other.org' })).toThrow(
      "the connection limits of vhost example.com cannot be reconfigured as other.org's",
    );
    expect(() => limits.reconfigure({ ...LIMITS, maxConnectionsPerUser: Number.NaN })).toThrow(RangeError);
    expect(limits.snapshot().limits.maxConnectionsPerUser).toBe(2);
  });
});
