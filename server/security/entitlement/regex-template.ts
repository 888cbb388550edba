// Finds `${user}` / `${group}` in a `re:` pattern's source. The scan follows RE2 syntax just far
// enough to know where a placeholder would be an ordinary atom: a placeholder inside a character
// class or a \Q...\E quote could not be filled safely (a quoted value would not be one atom
// there), so it is rejected. An escaped `\${` is literal text, not a placeholder.
import {
  PatternError,
  PLACEHOLDER_NAMES,
  placeholderAt,
  type PlaceholderName,
  type TemplatePart,
} from './placeholders.js';

export function parseRegexTemplate(source: string, allowed: readonly PlaceholderName[]): TemplatePart[] {
  const parts: TemplatePart[] = [];
  const length = source.length;
  let literalStart = 0;
  let i = 0;
  while (i < length) {
    const c = source[i];
    if (c === '\\') {
      i = source[i + 1] === 'Q' ? skipQuote(source, i) : i + 2;
    } else if (c === '[') {
      i = skipClass(source, i);
    } else if (c === '$' && source[i + 1] === '{') {
      const { name, end } = placeholderAt(source, i, allowed);
      if (i > literalStart) parts.push({ literal: source.slice(literalStart, i) });
      parts.push({ placeholder: name });
      literalStart = i = end;
    } else {
      i++;
    }
  }
  if (literalStart < length) parts.push({ literal: source.slice(literalStart) });
  return parts;
}

/** `\Q...\E` (or to the end): returns the index after it. */
function skipQuote(source: string, start: number): number {
  const close = source.indexOf('\\E', start + 2);
  const end = close === -1 ? source.length : close;
  rejectPlaceholderIn(source, start + 2, end, 'inside \\Q...\\E');
  return close === -1 ? source.length : close + 2;
}

/** `[...]`, where a leading `]` (after an optional `^`) is literal and `[:name:]` is a POSIX class. */
function skipClass(source: string, start: number): number {
  const length = source.length;
  let i = start + 1;
  if (source[i] === '^') i++;
  if (source[i] === ']') i++;
  while (i < length) {
    const c = source[i];
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === '[' && source[i + 1] === ':') {
      const close = source.indexOf(':]', i + 2);
      if (close !== -1) {
        i = close + 2;
        continue;
      }
    }
    if (c === ']') {
      rejectPlaceholderIn(source, start, i, 'inside a character class [...]');
      return i + 1;
    }
    i++;
  }
  // Unterminated: the regex compiler reports it.
  return length;
}

function rejectPlaceholderIn(source: string, start: number, end: number, where: string): void {
  const region = source.slice(start, end);
  for (const name of PLACEHOLDER_NAMES) {
    if (region.includes(`\${${name}}`)) throw new PatternError(`\${${name}} cannot be used ${where}`);
  }
}
