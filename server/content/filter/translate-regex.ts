// JSONata compiles a regex literal as a JavaScript RegExp (no `u` flag); filters must run it on RE2
// (re2js), which is linear-time but reads some syntax differently. This pass rewrites a pattern, which
// jsonata's parser has already accepted as valid JavaScript, into RE2 syntax with the same meaning,
// and rejects each construct whose meaning would change. It is a scanner over escapes, classes and
// groups only; RE2's own parser does the real parsing.
import { unsupportedConstruct } from './filter-error.js';

/** JavaScript's \s: ASCII whitespace plus the Unicode space separators, line separators and BOM. */
const JS_WHITESPACE =
  '\\t\\n\\x0B\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}';
/** JavaScript's `.` excludes all four line terminators; RE2's only excludes \n. */
const JS_DOT = '[^\\n\\r\\x{2028}\\x{2029}]';

const HEX = /^[0-9A-Fa-f]$/;

export function translateRegex(pattern: string, position: number | undefined): string {
  const reject = (construct: string, hint?: string): never => {
    throw unsupportedConstruct(`regex ${construct}`, position, hint);
  };
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const escaped = pattern[i + 1];
      if (escaped === undefined) reject('ending in \\');
      const { text, consumed } = translateEscape(pattern, i + 1, inClass, reject);
      out += text;
      i += consumed;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      // RE2 reads `[:alpha:]` inside a class as a POSIX class; JavaScript as the characters.
      else if (c === '[' && pattern[i + 1] === ':') reject('[: inside a character class', 'escape the [');
      out += c;
      continue;
    }
    if (c === '[') {
      // JavaScript: [] matches nothing and [^] anything; RE2 would read the ] as a member.
      const afterCaret = pattern[i + 1] === '^' ? i + 2 : i + 1;
      if (pattern[afterCaret] === ']') reject('empty character class [] or [^]');
      inClass = true;
      out += pattern.slice(i, afterCaret);
      i = afterCaret - 1;
    } else if (c === '.') {
      out += JS_DOT;
    } else if (c === '(' && pattern[i + 1] === '?' && pattern[i + 2] !== ':') {
      // Lookaround, named groups and inline flags: only non-capturing (?:...) means the same in both.
      reject(`group (?${pattern[i + 2] ?? ''}`, 'only (...) and (?:...) groups are supported');
    } else {
      out += c;
    }
  }
  return out;
}

/** Translates the escape whose letter is at `at`; returns the RE2 text and the characters used. */
function translateEscape(
  pattern: string,
  at: number,
  inClass: boolean,
  reject: (construct: string, hint?: string) => never,
): { text: string; consumed: number } {
  const e = pattern[at]!;
  switch (e) {
    case 'd':
    case 'D':
    case 'w':
    case 'W':
    case 't':
    case 'n':
    case 'r':
    case 'f':
    case 'v':
      return { text: `\\${e}`, consumed: 1 };
    case 'b':
    case 'B':
      // Inside a class JavaScript reads \b as backspace; RE2 has no such escape.
      if (inClass) return reject(`escape \\${e} inside a character class`);
      return { text: `\\${e}`, consumed: 1 };
    case 's':
      if (!inClass) return { text: `[${JS_WHITESPACE}]`, consumed: 1 };
      // Expanded in place, \s next to a '-' would turn into (or break) a range.
      if (pattern[at - 2] === '-' || pattern[at + 1] === '-') return reject('\\s next to - inside a character class');
      return { text: JS_WHITESPACE, consumed: 1 };
    case 'S':
      if (inClass) return reject('escape \\S inside a character class');
      return { text: `[^${JS_WHITESPACE}]`, consumed: 1 };
    case 'x':
      if (HEX.test(pattern[at + 1] ?? '') && HEX.test(pattern[at + 2] ?? '')) {
        return { text: `\\x${pattern.slice(at + 1, at + 3)}`, consumed: 3 };
      }
      return reject('escape \\x without two hex digits');
    case 'u': {
      const hex = pattern.slice(at + 1, at + 5);
      if (hex.length === 4 && [...hex].every((digit) => HEX.test(digit))) {
        const unit = Number.parseInt(hex, 16);
        // RE2 sees code points, so half of a surrogate pair cannot be matched on its own.
        if (unit >= 0xd800 && unit <= 0xdfff) return reject('surrogate escape \\u' + hex, 'write the character itself');
        return { text: `\\x{${hex}}`, consumed: 5 };
      }
      return reject('escape \\u without four hex digits');
    }
    case '0':
      if (!/^[0-9]$/.test(pattern[at + 1] ?? '')) return { text: '\\x00', consumed: 1 };
      return reject('octal escape \\0' + pattern[at + 1]);
    default:
      break;
  }
  if (/^[1-9]$/.test(e)) return reject(`backreference \\${e}`);
  if (/^[A-Za-z]$/.test(e)) {
    // JavaScript reads an unknown letter escape as the letter itself; RE2 as something else or an error.
    return reject(`escape \\${e}`, `JavaScript reads it as a plain "${e}"`);
  }
  const code = e.charCodeAt(0);
  // ASCII punctuation (and controls) escaped: a literal in both engines.
  if (code < 0x80) return { text: `\\${e}`, consumed: 1 };
  // An escaped non-ASCII character is that character in JavaScript; RE2 rejects the escape.
  return { text: e, consumed: 1 };
}
