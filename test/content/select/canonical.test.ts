// Canonical forms: their spelling, that they parse back to themselves, and, on a seeded random
// corpus, that lists sharing a canonical form project identically (key order included) and agree
// with the reference model of the documented semantics.
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compileSelect, type CompiledSelect } from '../../../server/content/select/index.js';
import { mulberry32, pick } from '../../helpers/prng.js';
import { deepFreeze, referenceSelect } from './helpers.js';

const canonical = (list: string): string => compileSelect(list).canonical;

describe('select list canonical form', () => {
  it("spells the AMPS table's lists in normal form", () => {
    expect(canonical('-/a')).toBe('-/a');
    expect(canonical('+/a')).toBe('+/');
    expect(canonical('-/,+/b')).toBe('-/,+/b');
    expect(canonical('-/,+/b,+/c/c2')).toBe('-/,+/b,+/c/c2');
    expect(canonical('-/,+/c/c1,+/c/c2')).toBe('-/,+/c/c1,+/c/c2');
  });

  it('drops redundant and overridden steps and sorts independent ones by name', () => {
    expect(canonical(' -/b , -/a ')).toBe('-/a,-/b');
    expect(canonical('-/a,-/a')).toBe('-/a');
    expect(canonical('-/a,+/a')).toBe('+/');
    expect(canonical('+/a,-/a')).toBe('-/a');
    expect(canonical('+/b,-/')).toBe('-/');
    expect(canonical('-/,+/a,-/a')).toBe('-/');
    expect(canonical('-/a/b,-/a')).toBe('-/a');
    expect(canonical('-/a,-/a/b')).toBe('-/a');
    expect(canonical('-/,+/a/b,+/a')).toBe('-/,+/a');
    expect(canonical('-/,-/a')).toBe('-/');
    expect(canonical('+/,+/a/b')).toBe('+/');
  });

  it('writes a decision change only where a nested field differs from its parent', () => {
    expect(canonical('-/,+/c,-/c/c1,+/c/c1/x')).toBe('-/,+/c,-/c/c1,+/c/c1/x');
    expect(canonical('-/c,+/c/x/y,-/c/x/y/z')).toBe('-/c,+/c/x/y,-/c/x/y/z');
  });

  it('escapes the characters the syntax and composition use, and trailing whitespace', () => {
    expect(canonical('-/a\\/b,-/c\\,d,-/e\\|f,-/g\\\\h,-/sp\\ ,-/in side')).toBe(
      '-/a\\/b,-/c\\,d,-/e\\|f,-/g\\\\h,-/in side,-/sp\\ ',
    );
    expect(canonical('-/e|f')).toBe('-/e\\|f');
    expect(canonical('-/a \\ /b')).toBe('-/a\\ \\ /b');
  });

  it('parses back to itself', () => {
    for (const list of ['-/a\\/b,-/c\\,d,-/e|f', '-/,+/c,-/c/c1,+/c/c1/x', '+/', '-/', '-/a \\ /b', '-/é,+/é/x']) {
      const once = canonical(list);
      expect(canonical(once)).toBe(once);
    }
  });

  it('keeps the source as written', () => {
    const select = compileSelect(' -/a ,-/a');
    expect(select.source).toBe(' -/a ,-/a');
    expect(select.canonical).toBe('-/a');
  });
});

const NAMES = ['a', 'b', 'c'] as const;

function randomPath(random: () => number): string {
  const depth = Math.floor(random() * 4);
  let path = '';
  for (let i = 0; i < depth; i++) path += `/${pick(random, NAMES)}`;
  return path === '' ? '/' : path;
}

function randomList(random: () => number): string {
  const steps = 1 + Math.floor(random() * 6);
  const parts: string[] = [];
  for (let i = 0; i < steps; i++) parts.push(`${random() < 0.5 ? '+' : '-'}${randomPath(random)}`);
  return parts.join(',');
}

function randomValue(random: () => number, depth: number): unknown {
  const roll = random();
  if (depth >= 3 || roll < 0.25) return Math.floor(random() * 10);
  if (roll < 0.35) return null;
  if (roll < 0.45) return [randomValue(random, depth + 1), 1];
  if (roll < 0.5) return 'text';
  return randomObject(random, depth + 1);
}

function randomObject(random: () => number, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of [...NAMES, 'd']) if (random() < 0.6) out[name] = randomValue(random, depth);
  return out;
}

describe('select list canonical form on a random corpus', () => {
  const random = mulberry32(0x5e1ec7);
  const lists = Array.from({ length: 1500 }, () => randomList(random));
  const documents = Array.from({ length: 60 }, () => deepFreeze(randomObject(random, 0)));
  const byCanonical = new Map<string, CompiledSelect[]>();
  for (const list of lists) {
    const select = compileSelect(list);
    const group = byCanonical.get(select.canonical) ?? [];
    group.push(select);
    byCanonical.set(select.canonical, group);
  }

  it('has lists that share canonical forms, so the property is exercised', () => {
    const shared = [...byCanonical.values()].filter((group) => new Set(group.map((s) => s.source)).size > 1);
    expect(shared.length).toBeGreaterThan(50);
  });

  it('gives identical output (key order included) for lists with the same canonical form', () => {
    const mismatches: string[] = [];
    for (const [form, group] of byCanonical) {
      const representative = compileSelect(form);
      if (representative.canonical !== form) mismatches.push(`${form} recompiles to ${representative.canonical}`);
      for (const document of documents) {
        const expected = JSON.stringify(representative.project(document));
        for (const select of group) {
          const actual = JSON.stringify(select.project(document));
          if (actual !== expected)
            mismatches.push(`${select.source} ~ ${form} on ${JSON.stringify(document)}: ${actual} != ${expected}`);
        }
      }
    }
    expect(mismatches).toStrictEqual([]);
  });

  it('agrees with the reference model of the documented semantics', () => {
    const mismatches: string[] = [];
    for (const list of lists) {
      const select = compileSelect(list);
      for (const document of documents) {
        // Key order aside (the reference keeps input order), the two must be equal.
        if (!isDeepStrictEqual(select.project(document), referenceSelect(list, document))) {
          mismatches.push(`${list} on ${JSON.stringify(document)}`);
        }
      }
    }
    expect(mismatches).toStrictEqual([]);
  });

  it('gives different canonical forms to lists the corpus shows projecting differently', () => {
    const forms = [...byCanonical.keys()];
    const fingerprint = (form: string): string =>
      documents.map((d) => JSON.stringify(compileSelect(form).project(d))).join('\n');
    const seen = new Map<string, string>();
    let collisions = 0;
    for (const form of forms) {
      const print = fingerprint(form);
      if (seen.has(print)) collisions++;
      else seen.set(print, form);
    }
    // Normal forms are unique per meaning: no two distinct forms agree on the whole corpus.
    expect(collisions).toBe(0);
  });
});
