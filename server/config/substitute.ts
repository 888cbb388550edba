// ${env:NAME} and ${file:PATH} substitution in the string values of a parsed config document.
// Substituted values are secrets (passwords, tokens): they never appear in an error message;
// instead their key paths are returned so the error formatter can print `<secret>`.
// Keys are never substituted, since key paths are printed in errors and logs: a placeholder in a
// key is refused rather than silently taken as literal text (`$${` still gives a literal `${`).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ConfigIssue } from './config-error.js';
import { formatKeyPath, type KeyPath } from './key-path.js';

export interface SubstitutionSource {
  /** Environment for ${env:NAME}. */
  readonly env: NodeJS.ProcessEnv;
  /** Directory that relative ${file:PATH} paths resolve against (the config file's). */
  readonly dir: string;
}

export interface Substituted {
  readonly value: unknown;
  /** Key paths of the string values that had at least one ${env:} or ${file:} substituted. */
  readonly secretPaths: readonly KeyPath[];
  /**
   * Those values as written, placeholders and all, by formatted key path: an error shows which
   * variable or file a bad value came from without showing the value.
   */
  readonly templates: ReadonlyMap<string, string>;
  /** Bad placeholders, unset variables, unreadable files; `value` is unusable unless this is empty. */
  readonly issues: readonly ConfigIssue[];
}

const PLACEHOLDER_FORMS = 'expected ${env:NAME}, ${file:PATH}, or $${ for a literal "${"';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** `$${` (escape) or `${` (placeholder start). */
const OPENER = /\$?\$\{/g;

/** Returns a copy of `document` with placeholders replaced, and every placeholder that could not be. */
export function substitute(document: unknown, source: SubstitutionSource): Substituted {
  const secretPaths: KeyPath[] = [];
  const templates = new Map<string, string>();
  const issues: ConfigIssue[] = [];

  const visit = (value: unknown, path: KeyPath): unknown => {
    if (typeof value === 'string') {
      const result = substituteString(value, path, source, issues);
      if (result.substituted) {
        secretPaths.push(path);
        templates.set(formatKeyPath(path), value);
      }
      return result.text;
    }
    if (Array.isArray(value)) return value.map((item, index) => visit(item, [...path, index]));
    if (isPlainObject(value)) {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [
          literalKey(key, [...path, key], issues),
          visit(item, [...path, key]),
        ]),
      );
    }
    return value;
  };

  const value = visit(document, []);
  return { value, secretPaths, templates, issues };
}

/** A key with its `$${` escapes resolved; a placeholder in it is an issue (the key is kept as written). */
function literalKey(key: string, path: KeyPath, issues: ConfigIssue[]): string {
  if (!key.includes('${')) return key;
  let out = '';
  let rest = 0;
  for (const match of key.matchAll(OPENER)) {
    if (match[0] !== '$${') {
      issues.push({
        path: formatKeyPath(path),
        message:
          'placeholders are not substituted in keys: put the ${...} in a value (a list of entries, not a map keyed by the secret), or write $${ for a literal "${"',
      });
      return key;
    }
    out += key.slice(rest, match.index) + '${';
    rest = match.index + 3;
  }
  return out + key.slice(rest);
}

function substituteString(
  text: string,
  path: KeyPath,
  source: SubstitutionSource,
  issues: ConfigIssue[],
): { text: string; substituted: boolean } {
  let out = '';
  let substituted = false;
  let rest = 0;
  for (const match of text.matchAll(OPENER)) {
    if (match.index < rest) continue; // inside a placeholder already consumed
    out += text.slice(rest, match.index);
    if (match[0] === '$${') {
      out += '${';
      rest = match.index + 3;
      continue;
    }
    const close = text.indexOf('}', match.index + 2);
    if (close === -1) {
      issues.push({ path: formatKeyPath(path), message: `unterminated "\${": ${PLACEHOLDER_FORMS}` });
      return { text, substituted };
    }
    const placeholder = text.slice(match.index, close + 1);
    const replacement = resolvePlaceholder(placeholder.slice(2, -1), placeholder, path, source, issues);
    if (replacement !== undefined) {
      out += replacement;
      substituted = true;
    }
    rest = close + 1;
  }
  return { text: out + text.slice(rest), substituted };
}

/** The value for `${body}`, or undefined after recording an issue. Only names and paths go into messages. */
function resolvePlaceholder(
  body: string,
  placeholder: string,
  path: KeyPath,
  source: SubstitutionSource,
  issues: ConfigIssue[],
): string | undefined {
  const where = formatKeyPath(path);
  const colon = body.indexOf(':');
  const kind = colon === -1 ? '' : body.slice(0, colon);
  const argument = body.slice(colon + 1);

  if (kind === 'env' && ENV_NAME.test(argument)) {
    const value = source.env[argument];
    if (value === undefined)
      issues.push({ path: where, message: `environment variable ${argument} is not set (used by ${placeholder})` });
    return value;
  }
  if (kind === 'file' && argument !== '') {
    const file = resolve(source.dir, argument);
    try {
      return stripOneTrailingNewline(readFileSync(file, 'utf8'));
    } catch (error) {
      issues.push({
        path: where,
        message: `cannot read file ${JSON.stringify(file)} (${errorCode(error)}) used by ${placeholder}`,
      });
      return undefined;
    }
  }
  issues.push({ path: where, message: `unknown placeholder ${JSON.stringify(placeholder)}: ${PLACEHOLDER_FORMS}` });
  return undefined;
}

/** Secret files usually end in a newline the secret does not contain; strip exactly one (\n or \r\n). */
function stripOneTrailingNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}

/** The errno code only: an fs error message could quote more than the path. */
function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string')
    return error.code;
  return 'unreadable';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
