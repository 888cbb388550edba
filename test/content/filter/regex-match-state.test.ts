// A filter's regex is evaluated for every message, and each subscription compiles its own: its
// match state (re2js's lazy DFA, 8 MiB by default) is capped like a regex subscription's.
import { describe, expect, it } from 'vitest';
import type { RE2JS } from 're2js';
import { compileFilterRegex } from '../../../server/content/filter/filter-regex.js';
import { DEFAULT_MAX_REGEX_MATCH_STATE_BYTES } from '../../../server/topics/index.js';

describe('regex literals in filters', () => {
  it('keep at most the default match state of a regex subscription', () => {
    const matcher = compileFilterRegex({ kind: 'regex', position: 0, pattern: '[ab]*a[ab]{900}c', flags: '' }) as RE2JS;
    const text = `a${'b'.repeat(900)}c`;
    expect(matcher.test(text)).toBe(true);
    const dfa = matcher.re2().dfa;
    expect(dfa.stateBudget).toBe(DEFAULT_MAX_REGEX_MATCH_STATE_BYTES);
    let held = 0; // re2js's own accounting: 150 bytes a state plus 8 per instruction it lists
    for (const state of dfa.cachedStates()) held += 150 + 8 * (state as { nfaStates: unknown[] }).nfaStates.length;
    expect(held).toBeLessThanOrEqual(DEFAULT_MAX_REGEX_MATCH_STATE_BYTES);
  });
});
