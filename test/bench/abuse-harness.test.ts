// bench:abuse's pure parts: the verdict against the attacks' targets, the table row, which attacks
// --only picks, and the hand-built inputs some attacks send.
import { describe, expect, it } from 'vitest';
import mqttPacket, { type IPublishPacket, type Packet } from 'mqtt-packet';
import { configNumber } from '../../bench/abuse/attack.js';
import { ATTACKS, selectAttacks } from '../../bench/abuse/attacks/index.js';
import { deepJson } from '../../bench/abuse/attacks/deep-json.js';
import { invalidTopicPublish } from '../../bench/abuse/attacks/invalid-utf8-topic.js';
import { expensiveTopic } from '../../bench/abuse/attacks/regex-subscriptions.js';
import { persistentSessionsAttack } from '../../bench/abuse/attacks/persistent-sessions.js';
import { retainedPropertiesAttack } from '../../bench/abuse/attacks/retained-properties.js';
import { failures, rssGrowth, tableRow, verdict, type AttackResult } from '../../bench/abuse/verdict.js';

const MB = 1024 * 1024;

function result(overrides: Partial<AttackResult> = {}): AttackResult {
  return {
    id: '5',
    name: 'retained',
    survived: true,
    survivalNote: '',
    rssBeforeBytes: 100 * MB,
    rssAfterBytes: 120 * MB,
    rssPeakBytes: 130 * MB,
    capBytes: 0,
    maxBlockMs: 20,
    blockAtLeastMs: null,
    attackerGot: 'PUBACK 0x97',
    ownTarget: null,
    durationMs: 1000,
    ...overrides,
  };
}

describe('verdict', () => {
  it('passes an attack that meets every target', () => {
    expect(verdict(result())).toBe('PASS');
    expect(verdict(result({ ownTarget: { met: true, expected: 'refused' } }))).toBe('PASS');
  });

  it('measures growth to the peak, not to the end', () => {
    expect(rssGrowth(result())).toBe(30 * MB);
    expect(rssGrowth(result({ rssPeakBytes: null, rssAfterBytes: 150 * MB }))).toBe(50 * MB);
  });

  it('allows the caps plus 64 MB of growth, and no more', () => {
    expect(failures(result({ rssPeakBytes: 164 * MB }))).toEqual([]);
    expect(failures(result({ rssPeakBytes: 165 * MB }))).toEqual(['RSS +65 MB > 64 MB (caps 0 + 64)']);
    expect(failures(result({ capBytes: 64 * MB, rssPeakBytes: 228 * MB }))).toEqual([]);
  });

  it('fails a block over 100 ms, a death, a failed control and a missed own target', () => {
    expect(failures(result({ maxBlockMs: 100 }))).toEqual([]);
    expect(failures(result({ maxBlockMs: 101 }))).toEqual(['block 101 ms > 100']);
    expect(
      verdict(
        result({ survived: false, survivalNote: 'exited (code 1): RangeError', maxBlockMs: null, rssAfterBytes: null }),
      ),
    ).toBe('FAIL: did not survive: exited (code 1): RangeError');
    expect(failures(result({ survived: false, failure: 'control failed', survivalNote: 'no PUBACK' }))).toEqual([
      'did not survive: no PUBACK',
    ]);
    expect(failures(result({ ownTarget: { met: false, expected: 'CONNACK 0x85' } }))).toEqual(['want: CONNACK 0x85']);
  });

  it('reports an unresponsive broker with a lower bound of its block', () => {
    const blocked = result({
      survived: false,
      failure: 'unresponsive',
      survivalNote: 'no answer for 60.0 s',
      maxBlockMs: null,
      blockAtLeastMs: 60_000,
    });
    expect(failures(blocked)).toEqual(['did not survive: no answer for 60.0 s', 'block >= 60000 ms > 100']);
    expect(tableRow(blocked).slice(1, 6)).toEqual(['no (unresponsive)', '100', '120', '+30', '>= 60000']);
  });

  it('says "not measured" only for a broker that lived', () => {
    expect(failures(result({ maxBlockMs: null }))).toEqual(['event-loop block not measured']);
    expect(failures(result({ survived: false, failure: 'died', maxBlockMs: null, rssBeforeBytes: null }))).toEqual([
      'did not survive',
    ]);
  });
});

describe('selectAttacks', () => {
  it('picks all, by id, or by group number', () => {
    expect(selectAttacks(ATTACKS, '')).toHaveLength(ATTACKS.length);
    expect(selectAttacks(ATTACKS, '1').map((a) => a.id)).toEqual(['1a', '1b', '1c', '1d']);
    expect(selectAttacks(ATTACKS, '2b, 11').map((a) => a.id)).toEqual(['2b', '11']);
    expect(selectAttacks(ATTACKS, '2').map((a) => a.id)).toEqual(['2a', '2b', '2c', '2d']);
  });

  it('refuses an unknown id, naming it', () => {
    expect(() => selectAttacks(ATTACKS, '3,99')).toThrow(/^--only: no attack 99 \(ids: 1a, /);
  });

  it('covers groups 1 to 11 with unique ids', () => {
    const ids = ATTACKS.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.map((id) => id.replace(/[a-z]$/, '')))).toEqual(
      new Set(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11']),
    );
  });
});

describe('attack inputs', () => {
  it('reads config numbers by key path, 0 when missing', () => {
    const config = { listeners: [{ options: { logonTimeoutMs: 10_000 } }], mqtt: { retained: { maxBytes: 5 } } };
    expect(configNumber(config, 'listeners.0.options.logonTimeoutMs')).toBe(10_000);
    expect(configNumber(config, 'mqtt.retained.maxBytes')).toBe(5);
    expect(configNumber(config, 'mqtt.sessions.maxBytes')).toBe(0);
  });

  it('bounds the session attack by 3 sessions or the store, whichever is less', () => {
    const sessions = (s: Record<string, number>): number =>
      persistentSessionsAttack.capBytes!({ mqtt: { sessions: s } });
    expect(sessions({ maxQueuedBytes: 8 * MB, maxBytes: 256 * MB })).toBe(24 * MB);
    expect(sessions({ maxQueuedBytes: 128 * MB, maxBytes: 256 * MB })).toBe(256 * MB);
    expect(sessions({})).toBe(0);
    expect(retainedPropertiesAttack.capBytes!({ mqtt: { retained: { maxBytes: 64 * MB } } })).toBe(64 * MB);
  });

  it('builds a well-formed PUBLISH whose topic is invalid UTF-8', () => {
    for (const version of [4, 5] as const) {
      const bytes = invalidTopicPublish(version);
      const parser = mqttPacket.parser({ protocolVersion: version });
      const packets: Packet[] = [];
      parser.on('packet', (p: Packet) => packets.push(p));
      parser.parse(bytes);
      expect(packets).toHaveLength(1);
      const publish = packets[0] as IPublishPacket;
      expect(publish.cmd).toBe('publish');
      expect(String(publish.payload)).toBe('x');
      expect(bytes.subarray(4, 12)).toEqual(Buffer.from([...Buffer.from('abuse/'), 0xc3, 0x28]));
    }
  });

  it('nests the deep JSON 20,000 levels in about 40 KB', () => {
    const text = deepJson();
    expect(text.length).toBe(40_006);
    let value = (JSON.parse(text) as { a: unknown }).a;
    let depth = 0;
    while (Array.isArray(value)) {
      depth++;
      value = value[0];
    }
    expect(depth).toBe(20_000);
  });

  it('makes the same 1 KB regex topic every time: a and b, then c', () => {
    const topic = expensiveTopic();
    expect(topic).toBe(expensiveTopic());
    expect(topic).toMatch(/^[ab]{1023}c$/);
    expect(topic.split('a').length - 1).toBeGreaterThan(400);
  });
});
