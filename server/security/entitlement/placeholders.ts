// `${user}` and `${group}` in policy patterns (and `${vhost}` in vhost policies, server/vhosts/). A template is kept as literal parts and placeholder
// parts, and values are only ever inserted where the matcher compares them literally (a topic
// level) or as a quoted regex atom: never pasted into pattern text that is parsed again.

export type PlaceholderName = 'user' | 'group' | 'vhost';

export const PLACEHOLDER_NAMES: readonly PlaceholderName[] = ['user', 'group', 'vhost'];

export type TemplatePart = { readonly literal: string } | { readonly placeholder: PlaceholderName };

/** What the placeholders stand for when a pattern is bound to one user. */
export interface PlaceholderValues {
  readonly user: string;
  readonly group: string;
  /** Only vhost policies allow `${vhost}`; absent, a pattern using it cannot be bound. */
  readonly vhost?: string;
}

/** A pattern that cannot be used: the message says why, for a config error. */
export class PatternError extends Error {
  override readonly name = 'PatternError';
}

const OPEN = '${';

/**
 * If a placeholder starts at `index` (which holds `${`), returns its name and end; throws for a
 * `${...}` that is not one of `allowed`, so a typo like `${usr}` is a load error, not a literal.
 */
export function placeholderAt(
  text: string,
  index: number,
  allowed: readonly PlaceholderName[],
): { name: PlaceholderName; end: number } {
  const close = text.indexOf('}', index + OPEN.length);
  const name = close === -1 ? undefined : text.slice(index + OPEN.length, close);
  const known = allowed.find((candidate) => candidate === name);
  if (known === undefined || close === -1) {
    const spelled = close === -1 ? text.slice(index) : text.slice(index, close + 1);
    throw new PatternError(
      allowed.length === 0
        ? `placeholders such as ${JSON.stringify(spelled)} are not supported here`
        : `unknown placeholder ${JSON.stringify(spelled)}; expected ${allowed.map((n) => `\${${n}}`).join(' or ')}`,
    );
  }
  return { name: known, end: close + 1 };
}

/** Splits plain text (one topic level) into literal and placeholder parts. */
export function parseTextTemplate(text: string, allowed: readonly PlaceholderName[]): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let rest = 0;
  for (let open = text.indexOf(OPEN); open !== -1; open = text.indexOf(OPEN, rest)) {
    const { name, end } = placeholderAt(text, open, allowed);
    if (open > rest) parts.push({ literal: text.slice(rest, open) });
    parts.push({ placeholder: name });
    rest = end;
  }
  if (rest < text.length) parts.push({ literal: text.slice(rest) });
  return parts;
}

export function hasPlaceholder(parts: readonly TemplatePart[], name?: PlaceholderName): boolean {
  return parts.some((part) => 'placeholder' in part && (name === undefined || part.placeholder === name));
}

/**
 * Joins `parts`, inserting each value through `render`. Returns undefined when a value is empty
 * or absent: an empty user name (implicit logon) or group name cannot stand for anything.
 */
export function fillTemplate(
  parts: readonly TemplatePart[],
  values: PlaceholderValues,
  render: (value: string) => string,
): string | undefined {
  let out = '';
  for (const part of parts) {
    if ('literal' in part) {
      out += part.literal;
      continue;
    }
    const value = values[part.placeholder];
    if (value === undefined || value === '') return undefined;
    out += render(value);
  }
  return out;
}
