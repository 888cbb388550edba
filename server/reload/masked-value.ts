// Values shown in a refused reload's list of differences, with secrets replaced by `<secret>`:
// values that came from ${env:} or ${file:}, keys that name a credential, a module's options (the
// broker cannot tell which of them are secret), and the password in a URL.
import { isWithin, type KeyPath } from '../config/key-path.js';

const SECRET = '<secret>';

/** Key names whose values are credentials wherever they appear. */
const SECRET_KEY = /pass(word|phrase)?$|secret|token|hash$|scram|credential|authorization|api-?key/i;

/** Module specs: their `options` are the module's own, and may hold anything. */
const MODULE_KEYS: ReadonlySet<PropertyKey> = new Set(['authentication', 'entitlement']);

/** `value` at `path`, safe to show; `secretPaths` are the substituted values of either config. */
export function maskedValue(path: KeyPath, value: unknown, secretPaths: readonly KeyPath[]): unknown {
  if (value === undefined) return undefined;
  if (isSecret(path, secretPaths)) return SECRET;
  if (typeof value === 'string') return withoutUrlPassword(value);
  if (Array.isArray(value)) return value.map((item, i) => maskedValue([...path, i], item, secretPaths));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, maskedValue([...path, key], item, secretPaths)]),
    );
  return value;
}

function isSecret(path: KeyPath, secretPaths: readonly KeyPath[]): boolean {
  if (secretPaths.some((secret) => isWithin(path, secret))) return true;
  const last = path[path.length - 1];
  if (typeof last === 'string' && SECRET_KEY.test(last)) return true;
  return path.some((key, i) => key === 'options' && i > 0 && MODULE_KEYS.has(path[i - 1]!));
}

/** `redis://user:pw@host` shows as `redis://user:<secret>@host`; anything else as it is. */
function withoutUrlPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*:)[^/@\s]*@/i, `$1${SECRET}@`);
}
