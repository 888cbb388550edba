// Composition (entitlement list, then subscriber list) and sharing compiled selects by canonical form.
import { describe, expect, it } from 'vitest';
import {
  compileSelect,
  composeSelects,
  internSelect,
  SelectCache,
  SelectError,
} from '../../../server/content/select/index.js';
import { mulberry32, pick } from '../../helpers/prng.js';
import { deepFreeze } from './helpers.js';

describe('composeSelects', () => {
  it('returns null for no lists, and the one list when the other is absent', () => {
    const only = compileSelect('-/a');
    expect(composeSelects(null, null)).toBeNull();
    expect(composeSelects(only, null)).toBe(only);
    expect(composeSelects(null, only)).toBe(only);
  });

  it('skips the identity list', () => {
    const only = compileSelect('-/a');
    expect(composeSelects(compileSelect('+/'), only)).toBe(only);
    expect(composeSelects(only, compileSelect('-/b,+/b'))).toBe(only);
  });

  it('keys the composition by both canonical forms, in order', () => {
    const first = compileSelect(' -/b,-/a');
    const second = compileSelect('-/,+/c');
    const composed = composeSelects(first, second)!;
    expect(composed.canonical).toBe('-/a,-/b|-/,+/c');
    expect(composed.source).toBe(' -/b,-/a|-/,+/c');
    expect(composeSelects(second, first)!.canonical).toBe('-/,+/c|-/a,-/b');
  });

  it('keeps keys of lists whose field names contain | apart', () => {
    const a = composeSelects(compileSelect('-/x|-/y'), compileSelect('-/z'))!;
    const b = composeSelects(compileSelect('-/x'), compileSelect('-/y|-/z'))!;
    expect(a.canonical).not.toBe(b.canonical);
  });

  it('cannot bring back through the subscriber list what the entitlement list dropped', () => {
    const composed = composeSelects(compileSelect('-/secret,-/card/number'), compileSelect('+/secret,+/card/number'))!;
    expect(composed.project(deepFreeze({ secret: 1, card: { number: 2, name: 'n' }, x: 3 }))).toStrictEqual({
      card: { name: 'n' },
      x: 3,
    });
  });

  it('keeps an object the entitlement passed even when the subscriber drops all of its fields', () => {
    const composed = composeSelects(compileSelect('-/c,+/c/x'), compileSelect('-/c/x'))!;
    // The entitlement's output has c = {x}; the subscriber keeps c but not x, so c is {}.
    expect(composed.project({ c: { x: 1, y: 2 } })).toStrictEqual({ c: {} });
  });

  it('equals sequential application and is associative, on a seeded random corpus', () => {
    const random = mulberry32(0xc0ffee);
    const path = (): string => {
      const depth = Math.floor(random() * 3);
      let text = '';
      for (let i = 0; i < depth; i++) text += `/${pick(random, ['a', 'b', 'c'])}`;
      return text === '' ? '/' : text;
    };
    const list = (): string =>
      Array.from({ length: 1 + Math.floor(random() * 4) }, () => `${random() < 0.5 ? '+' : '-'}${path()}`).join(',');
    const value = (depth: number): unknown =>
      depth > 2 || random() < 0.3
        ? Math.floor(random() * 9)
        : Object.fromEntries(['a', 'b', 'c'].filter(() => random() < 0.7).map((k) => [k, value(depth + 1)]));
    for (let round = 0; round < 400; round++) {
      const [x, y, z] = [compileSelect(list()), compileSelect(list()), compileSelect(list())];
      const document = deepFreeze(value(0) as Record<string, unknown>);
      const xy = composeSelects(x, y)!;
      expect(xy.project(document)).toStrictEqual(y.project(x.project(document)));
      const left = composeSelects(xy, z)!;
      const right = composeSelects(x, composeSelects(y, z))!;
      expect(JSON.stringify(left.project(document))).toBe(JSON.stringify(right.project(document)));
      expect(left.canonical).toBe(right.canonical);
    }
  });
});

describe('SelectCache', () => {
  it('returns one object for lists with the same canonical form', () => {
    const cache = new SelectCache();
    const first = cache.select('-/,+/b');
    expect(cache.select('-/,+/b')).toBe(first);
    expect(cache.select(' -/ , +/b ,+/b')).toBe(first);
    expect(cache.select('-/,+/a')).not.toBe(first);
    expect(first.source).toBe('-/,+/b');
    expect(cache.size).toBe(2);
  });

  it('shares compositions by canonical form', () => {
    const cache = new SelectCache();
    const one = cache.compose(cache.select('-/a'), cache.select('-/,+/b'));
    const two = cache.compose(cache.select('-/a,-/a'), cache.select('-/,+/b,+/b'));
    expect(one).not.toBeNull();
    expect(two).toBe(one);
    expect(cache.compose(null, null)).toBeNull();
    const only = cache.select('-/a');
    expect(cache.compose(only, null)).toBe(only);
  });

  it('stays within its bound, evicting the oldest, and evicted selects still work', () => {
    const cache = new SelectCache(3);
    const oldest = cache.select('-/a');
    for (const name of ['b', 'c', 'd', 'e']) cache.select(`-/${name}`);
    expect(cache.size).toBe(3);
    expect(cache.select('-/a')).not.toBe(oldest);
    expect(oldest.project({ a: 1, b: 2 })).toStrictEqual({ b: 2 });
  });

  it('throws SelectError for a malformed list and caches nothing for it', () => {
    const cache = new SelectCache();
    expect(() => cache.select('*/a')).toThrow(SelectError);
    expect(cache.size).toBe(0);
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new SelectCache(0)).toThrow('maxEntries must be a positive integer, got 0');
  });

  it('internSelect shares across callers', () => {
    expect(internSelect('-/,+/zz')).toBe(internSelect('-/ , +/zz'));
  });
});
