// What a compiled select list keeps: nesting, step order, missing paths, arrays and other leaves,
// empty results, sharing with (and never writing) the input, and awkward field names.
import { describe, expect, it } from 'vitest';
import { compileSelect } from '../../../server/content/select/index.js';
import { deepFreeze, referenceSelect } from './helpers.js';

function project(list: string, document: Record<string, unknown>): Record<string, unknown> {
  const result = compileSelect(list).project(deepFreeze(document));
  // Every case here also agrees with the literal reading of the documented rules.
  expect(result).toStrictEqual(referenceSelect(list, document));
  return result;
}

const nested = (): Record<string, unknown> => ({ a: { b: { c: 1, d: 2 }, e: 3 }, f: 4 });

describe('select list nesting', () => {
  it('excludes a leaf three levels down and keeps its siblings and ancestors', () => {
    expect(project('-/a/b/c', nested())).toStrictEqual({ a: { b: { d: 2 }, e: 3 }, f: 4 });
  });

  it('includes a leaf three levels down under an excluded parent, creating only its ancestors', () => {
    expect(project('-/a,+/a/b/c', nested())).toStrictEqual({ a: { b: { c: 1 } }, f: 4 });
    expect(project('-/,+/a/b/c', nested())).toStrictEqual({ a: { b: { c: 1 } } });
  });

  it('excludes a leaf under an included parent', () => {
    expect(project('-/,+/a,-/a/e', nested())).toStrictEqual({ a: { b: { c: 1, d: 2 } } });
  });

  it('excludes a leaf under a parent that was re-included under an excluded grandparent', () => {
    expect(project('-/,+/a/b,-/a/b/d', nested())).toStrictEqual({ a: { b: { c: 1 } } });
  });

  it('keeps an included object even when its own fields are all then excluded', () => {
    expect(project('-/a/b/c,-/a/b/d', nested())).toStrictEqual({ a: { b: {}, e: 3 }, f: 4 });
  });

  it('leaves no empty shell when every re-included field inside a dropped object is dropped again', () => {
    expect(project('-/a,+/a/e,-/a/e', nested())).toStrictEqual({ f: 4 });
    expect(project('-/,+/a/b/c,-/a/b', nested())).toStrictEqual({});
  });
});

describe('select list step order', () => {
  it('lets the later of two steps on the same field win', () => {
    expect(project('+/a,-/a', { a: 1, b: 2 })).toStrictEqual({ b: 2 });
    expect(project('-/a,+/a', { a: 1, b: 2 })).toStrictEqual({ a: 1, b: 2 });
    expect(project('-/,+/a,-/a', { a: 1, b: 2 })).toStrictEqual({});
    expect(project('-/,-/a,+/a', { a: 1, b: 2 })).toStrictEqual({ a: 1 });
  });

  it('lets a step on a parent override earlier steps below it', () => {
    expect(project('-/a/b,+/a', nested())).toStrictEqual(nested());
    expect(project('+/a/b,-/a', nested())).toStrictEqual({ f: 4 });
  });

  it('lets a root step override everything before it', () => {
    expect(project('-/,+/b', { a: 1, b: 2 })).toStrictEqual({ b: 2 });
    expect(project('+/b,-/', { a: 1, b: 2 })).toStrictEqual({});
    expect(project('-/a,-/b,+/', { a: 1, b: 2 })).toStrictEqual({ a: 1, b: 2 });
  });

  it('treats repeated steps as one', () => {
    expect(project('-/a,-/a,-/a', { a: 1, b: 2 })).toStrictEqual({ b: 2 });
    expect(project('-/,-/,+/b,+/b', { a: 1, b: 2 })).toStrictEqual({ b: 2 });
  });
});

describe('select list missing paths', () => {
  it('includes nothing for an absent field or under an absent parent', () => {
    expect(project('-/,+/x', { a: 1 })).toStrictEqual({});
    expect(project('-/,+/x/y/z', { a: 1 })).toStrictEqual({});
    expect(project('-/,+/a/y', { a: { b: 1 } })).toStrictEqual({});
  });

  it('excludes nothing for an absent field or under an absent parent', () => {
    expect(project('-/x', { a: 1 })).toStrictEqual({ a: 1 });
    expect(project('-/x/y/z', { a: 1 })).toStrictEqual({ a: 1 });
    expect(project('-/a/y', { a: { b: 1 } })).toStrictEqual({ a: { b: 1 } });
  });

  it('does not read inherited properties as fields', () => {
    expect(project('-/,+/toString,+/constructor,+/__proto__', { a: 1 })).toStrictEqual({});
  });

  it('keeps a field whose value is null or undefined when it is present', () => {
    expect(project('-/,+/a,+/b', { a: null, b: undefined, c: 1 })).toStrictEqual({ a: null, b: undefined });
  });
});

describe('select list arrays and other leaves', () => {
  const document = (): Record<string, unknown> => ({
    list: [{ x: 1, y: 2 }, 3],
    n: 5,
    s: 'text',
    z: null,
    o: { k: [1] },
  });

  it('keeps or drops an array whole', () => {
    expect(project('-/,+/list', document())).toStrictEqual({ list: [{ x: 1, y: 2 }, 3] });
    expect(project('-/list', document())).toStrictEqual({ n: 5, s: 'text', z: null, o: { k: [1] } });
  });

  it('addresses nothing inside an array: an include below it adds nothing', () => {
    expect(project('-/,+/list/0', document())).toStrictEqual({});
    expect(project('-/,+/list/x', document())).toStrictEqual({});
    expect(project('-/,+/o/k/0', document())).toStrictEqual({});
  });

  it('addresses nothing inside an array: an exclude below it removes nothing', () => {
    expect(project('-/list/0', document())).toStrictEqual(document());
    expect(project('-/list/x', document())).toStrictEqual(document());
  });

  it('treats primitives and null the same way', () => {
    expect(project('-/,+/n/x,+/s/length,+/z/x', document())).toStrictEqual({});
    expect(project('-/n/x,-/s/length,-/z/x', document())).toStrictEqual(document());
  });

  it('treats non-plain objects (dates, byte arrays, maps) as leaves', () => {
    const bytes = new Uint8Array([1, 2]);
    const date = new Date(0);
    const map = new Map([['a', 1]]);
    const input = { bytes, date, map };
    expect(compileSelect('-/bytes/0,-/date/x,-/map/a').project(input)).toStrictEqual(input);
    expect(compileSelect('-/,+/bytes/0,+/map/a').project(input)).toStrictEqual({});
    const kept = compileSelect('-/,+/bytes,+/date').project(input);
    expect(kept['bytes']).toBe(bytes);
    expect(kept['date']).toBe(date);
  });

  it('descends into objects without a prototype', () => {
    const inner = Object.assign(Object.create(null) as Record<string, unknown>, { x: 1, y: 2 });
    expect(project('-/o/x', { o: inner })).toStrictEqual({ o: { y: 2 } });
  });
});

describe('select list empty results', () => {
  it('delivers {} when nothing is selected', () => {
    expect(project('-/', { a: 1 })).toStrictEqual({});
    expect(project('-/,+/x', { a: 1 })).toStrictEqual({});
    expect(project('-/a', { a: 1 })).toStrictEqual({});
    expect(project('+/', {})).toStrictEqual({});
  });

  it('returns {} (shows nothing) for an input that is not a plain object', () => {
    const select = compileSelect('+/');
    for (const input of [null, undefined, 1, 'text', [1, 2], new Date(0)] as unknown[]) {
      expect(select.project(input as Record<string, unknown>)).toStrictEqual({});
      expect(compileSelect('-/a').project(input as Record<string, unknown>)).toStrictEqual({});
    }
  });

  it('returns a fresh {} each time, so a caller writing to one cannot affect another', () => {
    const select = compileSelect('-/');
    expect(select.project({ a: 1 })).not.toBe(select.project({ a: 1 }));
  });
});

describe('select list sharing and immutability', () => {
  it('never writes the input (deep-frozen inputs would throw) and leaves it unchanged', () => {
    const input = { a: { b: { c: 1, d: 2 }, e: [1, { f: 2 }] }, g: 3 };
    const before = JSON.stringify(input);
    for (const list of ['-/a/b/c', '-/,+/a/e', '+/', '-/', '-/g,+/g,-/a/b'])
      compileSelect(list).project(deepFreeze(input));
    expect(JSON.stringify(input)).toBe(before);
  });

  it('returns the input itself for the identity list', () => {
    const input = { a: 1 };
    expect(compileSelect('+/').project(input)).toBe(input);
    expect(compileSelect('-/a,+/a').project(input)).toBe(input);
  });

  it('shares kept subtrees by reference and copies only along changed paths', () => {
    const input = deepFreeze({ a: { b: { c: 1 }, d: 2 }, e: { f: 3 } });
    const output = compileSelect('-/a/d').project(input) as { a: { b: unknown }; e: unknown };
    expect(output).not.toBe(input);
    expect(output.a).not.toBe(input.a);
    expect(output.a.b).toBe(input.a.b);
    expect(output.e).toBe(input.e);
  });

  it('keeps the input key order where the object is kept, and name order where it was dropped', () => {
    expect(Object.keys(compileSelect('-/b').project({ z: 1, b: 2, a: 3 }))).toStrictEqual(['z', 'a']);
    expect(Object.keys(compileSelect('-/,+/z,+/a').project({ z: 1, b: 2, a: 3 }))).toStrictEqual(['a', 'z']);
  });
});

describe('select list awkward field names', () => {
  it('keeps a field named __proto__ as a field, never as a prototype', () => {
    const input = deepFreeze(JSON.parse('{"__proto__":{"polluted":true,"x":1},"a":1}') as Record<string, unknown>);
    const kept = compileSelect('-/a').project(input);
    expect(Object.getPrototypeOf(kept)).toBe(Object.prototype);
    expect(Object.keys(kept)).toStrictEqual(['__proto__']);
    expect(JSON.stringify(kept)).toBe('{"__proto__":{"polluted":true,"x":1}}');
    const picked = compileSelect('-/,+/__proto__/x').project(input);
    expect(Object.getPrototypeOf(picked)).toBe(Object.prototype);
    expect(JSON.stringify(picked)).toBe('{"__proto__":{"x":1}}');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('addresses names with / , | \\ and edge whitespace through escapes', () => {
    const input = { 'a/b': 1, 'c,d': 2, 'e|f': 3, 'g\\h': 4, 'sp ': 5, ' lead': 6, keep: 7 };
    expect(project('-/a\\/b,-/c\\,d,-/e\\|f,-/g\\\\h,-/sp\\ , -/ lead', input)).toStrictEqual({ keep: 7 });
  });

  it('matches names exactly: case, inner spaces and unicode are significant', () => {
    const input = { Name: 1, name: 2, 'first name': 3, é: 4 };
    expect(project('-/,+/name,+/first name,+/é', input)).toStrictEqual({ name: 2, 'first name': 3, é: 4 });
  });

  it('trims whitespace around steps', () => {
    expect(project('  -/ ,\t+/b \n', { a: 1, b: 2 })).toStrictEqual({ b: 2 });
  });
});
