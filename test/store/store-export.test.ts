// The JSON Lines format of `warden store export` and `import`, alone: records out and back,
// bytes as base64, a deterministic order of records and fields, and every way an input is refused
// with the number of its line.
import { describe, expect, it } from 'vitest';
import type { StoredEntry } from '../../server/store/lmdb-store.js';
import type {
  QueuedRecord,
  RecordTable,
  RetainedRecord,
  SessionRecord,
  SubscriptionRecord,
  WillRecord,
} from '../../server/store/records.js';
import { ExportFormatError, readExport, writeExport, type RecordSource } from '../../server/store/store-export.js';

const retained: RetainedRecord = {
  topic: 'r/a',
  payload: Buffer.from([0, 1, 254, 255]),
  qos: 1,
  properties: {
    expiresAt: 1_900_000_000_000,
    userProperties: { k: 'v', many: ['1', '2'] },
    contentType: 'text/plain',
    correlationData: Buffer.from('corr'),
  },
};
const session: SessionRecord = {
  clientId: 'keeper',
  user: 'alice',
  listener: 'mqtt',
  expirySec: 3600,
  expiresAt: null,
  incomingQos2: [3, 9],
};
const subscription: SubscriptionRecord = {
  clientId: 'keeper',
  filter: '$share/g/q/#',
  qos: 2,
  noLocal: false,
  retainAsPublished: true,
  subscriptionId: 7,
};
const message: QueuedRecord = {
  clientId: 'keeper',
  seq: 12,
  topic: 'q/x',
  payload: Buffer.from('queued'),
  qos: 2,
  retain: false,
  subscriptionIds: [7],
  properties: null,
  packetId: 5,
  released: true,
};
const will: WillRecord = {
  clientId: 'dying',
  user: 'bob',
  listener: 'mqtt',
  publishAt: 1_800_000_000_000,
  topic: 'will/dying',
  payload: Buffer.alloc(0),
  qos: 0,
  retain: true,
  messageExpirySec: 60,
  properties: { userProperties: null, responseTopic: 'reply/here' },
};

/** A store's tables as lists of entries (the key is not looked at by an export). */
function source(tables: Partial<Record<RecordTable, StoredEntry[]>>): RecordSource {
  return { entries: (table) => tables[table] ?? [] };
}
const entry = (key: StoredEntry['key'], value: unknown): StoredEntry => ({ key, value, error: null });

async function exportLines(from: RecordSource): Promise<{ lines: string[]; skipped: readonly string[] }> {
  const lines: string[] = [];
  const { skipped } = await writeExport(from, (line) => {
    lines.push(line);
  });
  return { lines, skipped };
}

const HEADER = '{"type":"meta","product":"warden","format":1}';
const END_ONE_RETAINED = '{"type":"end","counts":{"retained":1,"sessions":0,"subscriptions":0,"messages":0,"wills":0}}';
const RETAINED_LINE =
  '{"type":"retained","record":{"topic":"r/a","payload":{"$base64":"AQL+/w=="},"qos":1,"properties":null}}';

/** The ExportFormatError that reading `lines` throws. */
async function refusal(lines: string[]): Promise<ExportFormatError> {
  try {
    await readExport(lines);
  } catch (err) {
    if (err instanceof ExportFormatError) return err;
    throw err;
  }
  throw new Error('the input was accepted');
}

describe('warden store export format', () => {
  it('writes a header, the records by table with bytes as base64, and an end line with the counts', async () => {
    const { lines, skipped } = await exportLines(
      source({
        wills: [entry('dying', will)],
        messages: [entry(['keeper', 12], message)],
        subscriptions: [entry(['keeper', '$share/g/q/#'], subscription)],
        sessions: [entry('keeper', session)],
        retained: [entry('r/a', retained)],
      }),
    );
    expect(skipped).toEqual([]);
    expect(lines).toEqual([
      HEADER,
      '{"type":"retained","record":{"topic":"r/a","payload":{"$base64":"AAH+/w=="},"qos":1,"properties":{"expiresAt":1900000000000,"userProperties":{"k":"v","many":["1","2"]},"contentType":"text/plain","correlationData":{"$base64":"Y29ycg=="}}}}',
      '{"type":"session","record":{"clientId":"keeper","user":"alice","listener":"mqtt","expirySec":3600,"expiresAt":null,"incomingQos2":[3,9]}}',
      '{"type":"subscription","record":{"clientId":"keeper","filter":"$share/g/q/#","qos":2,"noLocal":false,"retainAsPublished":true,"subscriptionId":7}}',
      '{"type":"message","record":{"clientId":"keeper","seq":12,"topic":"q/x","payload":{"$base64":"cXVldWVk"},"qos":2,"retain":false,"subscriptionIds":[7],"properties":null,"packetId":5,"released":true}}',
      '{"type":"will","record":{"clientId":"dying","user":"bob","listener":"mqtt","publishAt":1800000000000,"topic":"will/dying","payload":{"$base64":""},"qos":0,"retain":true,"messageExpirySec":60,"properties":{"userProperties":null,"responseTopic":"reply/here"}}}',
      '{"type":"end","counts":{"retained":1,"sessions":1,"subscriptions":1,"messages":1,"wills":1}}',
    ]);
  });

  it('reads back the records it wrote, Buffers included, and writes them again byte for byte', async () => {
    const first = await exportLines(
      source({
        retained: [entry('r/a', retained)],
        sessions: [entry('keeper', session)],
        subscriptions: [entry(['keeper', '$share/g/q/#'], subscription)],
        messages: [entry(['keeper', 12], message)],
        wills: [entry('dying', will)],
      }),
    );
    const contents = await readExport(first.lines);
    expect(contents).toEqual({
      retained: [retained],
      sessions: [session],
      subscriptions: [subscription],
      messages: [message],
      wills: [will],
    });
    expect(Buffer.isBuffer(contents.retained[0]!.payload)).toBe(true);
    expect(Buffer.isBuffer(contents.retained[0]!.properties!.correlationData)).toBe(true);
    const again = await exportLines(
      source({
        retained: contents.retained.map((r) => entry(r.topic, r)),
        sessions: contents.sessions.map((s) => entry(s.clientId, s)),
        subscriptions: contents.subscriptions.map((s) => entry([s.clientId, s.filter], s)),
        messages: contents.messages.map((m) => entry([m.clientId, m.seq], m)),
        wills: contents.wills.map((w) => entry(w.clientId, w)),
      }),
    );
    expect(again.lines.join('\n')).toBe(first.lines.join('\n'));
  });

  it('writes the fields in one order, whatever order the record was built in', async () => {
    const shuffled = { properties: null, qos: 1, payload: Buffer.from([1, 2, 254, 255]), topic: 'r/a' };
    const { lines } = await exportLines(source({ retained: [entry('r/a', shuffled)] }));
    expect(lines[1]).toBe(RETAINED_LINE);
  });

  it('leaves out an entry that is not a valid record, names it, and counts only what it wrote', async () => {
    const { lines, skipped } = await exportLines(
      source({
        retained: [
          entry('r/bad', { topic: 'r/bad', payload: 'not bytes', qos: 1, properties: null }),
          { key: 'r/undecodable', value: undefined, error: 'Unexpected end of buffer' },
          entry('r/a', { topic: 'r/a', payload: Buffer.from([1, 2, 254, 255]), qos: 1, properties: null }),
        ],
        messages: [entry(['keeper', 3], { ...message, seq: 3, qos: 0 })],
      }),
    );
    expect(lines).toEqual([HEADER, RETAINED_LINE, END_ONE_RETAINED]);
    expect(skipped).toEqual([
      'retained "r/bad": payload: expected bytes',
      'retained "r/undecodable": cannot be decoded (Unexpected end of buffer)',
      'message "keeper" #3: qos: expected one of 1|2',
    ]);
  });

  it.each<[string, string[], string]>([
    ['an empty input', [], 'the input is empty; expected the output of warden store export'],
    ['no header', [RETAINED_LINE], 'line 1: expected the header'],
    [
      'another format',
      ['{"type":"meta","product":"warden","format":2}'],
      'line 1: the export has format 2, this Warden reads format 1',
    ],
    ['a line that is not JSON', [HEADER, '{"type":"retained",'], 'line 2: not JSON ('],
    ['an empty line', [HEADER, '', RETAINED_LINE], 'line 2: an empty line'],
    ['an unknown type', [HEADER, '{"type":"topic","record":{}}'], 'line 2: unknown type "topic"'],
    [
      'a field of a record that is wrong',
      [HEADER, RETAINED_LINE, RETAINED_LINE.replace('"r/a"', '"r/b"').replace('"qos":1', '"qos":3')],
      'line 3: retained record: qos: expected one of 0|1|2',
    ],
    ['a missing field', [HEADER, RETAINED_LINE.replace('"qos":1,', '')], 'line 2: retained record: qos: missing'],
    [
      'an unknown field',
      [HEADER, RETAINED_LINE.replace('"qos":1,', '"qos":1,"priority":3,')],
      'line 2: retained record: the record: unknown field "priority"',
    ],
    [
      'bytes that are not canonical base64',
      [HEADER, RETAINED_LINE.replace('AQL+/w==', 'AQL+/w')],
      'line 2: retained record: payload: expected canonical base64',
    ],
    [
      'the same record twice',
      [HEADER, RETAINED_LINE, RETAINED_LINE],
      'line 3: a second retained message for topic "r/a" (the first is on line 2)',
    ],
    [
      'no end line',
      [HEADER, RETAINED_LINE],
      'the input ends after line 2 without the end line ({"type":"end",...}): is it truncated?',
    ],
    [
      'an end line whose counts differ',
      [HEADER, RETAINED_LINE, END_ONE_RETAINED.replace('"retained":1', '"retained":2')],
      'line 3: the end line counts 2 retained, the lines before it hold 1',
    ],
    [
      'a line after the end line',
      [HEADER, RETAINED_LINE, END_ONE_RETAINED, RETAINED_LINE],
      'line 4: a line after the end line',
    ],
  ])('refuses %s, naming the line', async (_name, lines, message) => {
    expect((await refusal(lines)).message).toContain(message);
  });

  it('accepts a complete export', async () => {
    const contents = await readExport([HEADER, RETAINED_LINE, END_ONE_RETAINED]);
    expect(contents.retained).toEqual([
      { topic: 'r/a', payload: Buffer.from([1, 2, 254, 255]), qos: 1, properties: null },
    ]);
  });
});
