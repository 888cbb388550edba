// The HTTP publish body parser alone (server/http/publish-body.ts): what it accepts, the size it
// counts, and the native error code and message of each refusal.
import { describe, expect, it } from 'vitest';
import { BrokerError } from '../../server/errors.js';
import { parsePublishBody, payloadSize } from '../../server/http/publish-body.js';

const parse = (text: string | Buffer) => {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const body = parsePublishBody(bytes);
  const size = payloadSize(body);
  // The bound the listener compares with its limits before measuring: never below the size.
  expect(body.sizeBound).toBeGreaterThanOrEqual(size);
  return { ...body, size };
};

function refusal(text: string | Buffer): { code: string; message: string } {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof BrokerError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('accepted');
}

describe('parsePublishBody', () => {
  it('takes data as a value, sized as the JSON text MQTT receivers get', () => {
    const body = parse('{ "topic": "a/b",  "data": { "x" : 1, "s": "é" } }');
    expect(body.topic).toBe('a/b');
    expect(body.payload.isBytes).toBe(false);
    expect(body.payload.value).toEqual({ x: 1, s: 'é' });
    expect(body.size).toBe(Buffer.byteLength('{"x":1,"s":"é"}'));
    expect(body.retain).toBe(false);
  });

  it('takes \\u escapes at the size of the text they stand for', () => {
    expect(parse('{"topic":"a","data":"\\u00e9\\u00e9"}').size).toBe(Buffer.byteLength('"éé"'));
  });

  it('bounds the size of numbers in exponent notation, which grow when written out', () => {
    const body = parse('{"topic":"a","data":[9e20,9e20,-9e20,1e9]}');
    expect(body.size).toBe(Buffer.byteLength(JSON.stringify([9e20, 9e20, -9e20, 1e9])));
  });

  it('takes null, numbers and strings as data', () => {
    expect(parse('{"topic":"a","data":null}').payload.value).toBeNull();
    expect(parse('{"topic":"a","data":0}').size).toBe(1);
    expect(parse('{"topic":"a","data":"x"}').size).toBe(3);
  });

  it('takes bytes as base64, and retain', () => {
    const body = parse('{"topic":"a","bytes":"AAEC/w==","retain":true}');
    expect(body.payload.isBytes).toBe(true);
    expect(Buffer.from(body.payload.bytes)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(body.size).toBe(4);
    expect(body.retain).toBe(true);
    expect(parse('{"topic":"a","bytes":""}').size).toBe(0);
  });

  it.each([
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'BAD_FRAME', 'the request body is not valid UTF-8'],
    [
      'whitespace only',
      ' \n ',
      'BAD_FRAME',
      'the request body is empty; expected a JSON object: {"topic": ..., "data": ...}',
    ],
    ['a string', '"a"', 'BAD_FRAME', 'the request body must be a JSON object: {"topic": ..., "data": ...}'],
    ['null', 'null', 'BAD_FRAME', 'the request body must be a JSON object: {"topic": ..., "data": ...}'],
    ['a numeric topic', '{"topic":1,"data":1}', 'INVALID_FIELD', '"topic" must be a string'],
    ['bytes as a number', '{"topic":"a","bytes":1}', 'INVALID_FIELD', '"bytes" must be base64 text'],
    ['base64 of a bad length', '{"topic":"a","bytes":"AAAAA"}', 'INVALID_FIELD', '"bytes" must be base64 text'],
    ['base64url', '{"topic":"a","bytes":"-_8="}', 'INVALID_FIELD', '"bytes" must be base64 text'],
    [
      'a field named __proto__',
      '{"topic":"a","data":1,"__proto__":{}}',
      'INVALID_FIELD',
      'unknown field "__proto__"; expected topic, data or bytes, and retain',
    ],
  ])('refuses %s', (_what, text, code, message) => {
    expect(refusal(text)).toEqual({ code, message });
  });

  it('refuses JSON nesting deeper than 64 levels below the envelope, and takes 64', () => {
    const nested = (depth: number) => `{"topic":"a","data":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    expect(parse(nested(64)).size).toBe(128);
    expect(refusal(nested(65))).toEqual({ code: 'BAD_FRAME', message: 'invalid JSON: nesting deeper than 64 levels' });
  });
});
