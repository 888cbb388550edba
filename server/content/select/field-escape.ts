// Field names are written between `/`, steps between `,`, and composed keys joined with `|`, so a
// name containing those (or the backslash, or whitespace that trimming would drop) needs `\`.

/** Characters a backslash may escape; any other escape is an error, keeping room to add more. */
export const ESCAPABLE = new Set(['\\', '/', ',', '|', ' ', '\t', '\n', '\r']);

/** Whitespace trimmed around a step: JSON's four, so names with other spaces need no escape. */
export function isStepWhitespace(char: string): boolean {
  return char === ' ' || char === '\t' || char === '\n' || char === '\r';
}

/**
 * Spells a field name for a canonical list: `\ / , |` always escaped, and trailing whitespace
 * too (a step's trailing whitespace is trimmed, and any name may end a step).
 */
export function escapeField(name: string): string {
  let keepEnd = name.length;
  while (keepEnd > 0 && isStepWhitespace(name[keepEnd - 1]!)) keepEnd--;
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const char = name[i]!;
    const special = char === '\\' || char === '/' || char === ',' || char === '|';
    out += special || i >= keepEnd ? `\\${char}` : char;
  }
  return out;
}
