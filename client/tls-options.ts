// options.tls checked once, when the client is made, and turned into the options object `ws`
// takes as its third constructor argument. Browser-safe: nothing here touches Node.
import { TLS_OPTION_KEYS, type TlsOptions } from './options.js';

/** The socket options for `tls`, or undefined without it. Throws a TypeError for options that cannot work. */
export function socketOptionsFor(
  urls: readonly string[],
  tls: TlsOptions | undefined,
): Record<string, unknown> | undefined {
  if (tls === undefined) return undefined;
  if (typeof tls !== 'object' || tls === null || Array.isArray(tls))
    throw new TypeError('options.tls must be an object { ca, cert, key, passphrase }');
  for (const key of Object.keys(tls)) {
    if (!(TLS_OPTION_KEYS as readonly string[]).includes(key))
      throw new TypeError(`options.tls.${key} is not a TLS option (expected ${TLS_OPTION_KEYS.join(', ')})`);
  }
  // ws ignores TLS options on ws: URLs: a client certificate given there would silently do nothing.
  // Every URL of a failover list gets the same options, so every one must be wss:.
  for (const url of urls) {
    if (!/^wss:/i.test(url))
      throw new TypeError(
        `options.tls applies to wss: URLs only, not ${JSON.stringify(url.slice(0, url.indexOf(':') + 1))}`,
      );
  }
  const out: Record<string, unknown> = {};
  for (const key of ['ca', 'cert', 'key'] as const) {
    const value = tls[key];
    if (value === undefined) continue;
    if (!isPem(value)) throw new TypeError(`options.tls.${key} must be PEM text or bytes, or a list of them`);
    out[key] = Array.isArray(value) ? [...value] : value;
  }
  if (tls.passphrase !== undefined) {
    if (typeof tls.passphrase !== 'string') throw new TypeError('options.tls.passphrase must be a string');
    out.passphrase = tls.passphrase;
  }
  return out;
}

function isPem(value: unknown): boolean {
  const one = (item: unknown): boolean => typeof item === 'string' || item instanceof Uint8Array;
  return Array.isArray(value) ? value.length > 0 && value.every(one) : one(value);
}
