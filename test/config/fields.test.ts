import { describe, expect, it } from 'vitest';
import { booleanField, integerField } from '../../server/config/fields.js';
import { closestMatch } from '../../server/config/suggest.js';

describe('integerField', () => {
  const field = integerField(0, 100);

  it.each([
    [7, 7],
    ['7', 7],
    ['0', 0],
    ['100', 100],
  ])('accepts %j', (input, expected) => {
    expect(field.parse(input)).toBe(expected);
  });

  it.each([' 7', '7 ', '+7', '7.0', '1e2', '0x7', '', 'seven', 101, -1, 0.5, true, null])(
    'rejects %j with the range as the expected form',
    (input) => {
      const result = field.safeParse(input);
      expect(result.success).toBe(false);
      expect(result.error?.issues.map((issue) => issue.message)).toEqual(['expected an integer from 0 to 100']);
    },
  );
});

describe('booleanField', () => {
  const field = booleanField();

  it.each([
    [true, true],
    [false, false],
    ['true', true],
    ['false', false],
  ])('accepts %j', (input, expected) => {
    expect(field.parse(input)).toBe(expected);
  });

  it.each(['TRUE', 'yes', '1', 1, ''])('rejects %j', (input) => {
    expect(field.safeParse(input).error?.issues.map((issue) => issue.message)).toEqual(['expected true or false']);
  });
});

describe('closestMatch', () => {
  const keys = ['broker', 'log', 'topics', 'listeners', 'shutdown'];

  it.each([
    ['listners', 'listeners'],
    ['Listeners', 'listeners'],
    ['lsiteners', 'listeners'],
    ['brokr', 'broker'],
    ['lgo', 'log'],
    ['topic', 'topics'],
  ])('%s -> %s', (typo, expected) => {
    expect(closestMatch(typo, keys)).toBe(expected);
  });

  it.each(['colour', 'x', 'shut'])('no suggestion for %s', (word) => {
    expect(closestMatch(word, keys)).toBeUndefined();
  });
});
