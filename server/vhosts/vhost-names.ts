// Which vhost a host name belongs to. A vhost is named by a literal host name or, when name
// patterns are on, by a pattern of dot-separated words where `*` is exactly one word and `#` is
// zero or more words (AMQ Interconnect, "Pattern Matching for Vhost Policy Hostnames"):
//
//   *.example.com        www.example.com          not example.com, srv2.www.example.com
//   #.example.com        example.com, www.example.com, a.b.c.d.example.com
//   www.*.test.example.com   www.a.test.example.com
//   www.#.test.example.com   www.test.example.com, www.a.b.c.test.example.com
//
// Precedence, as the router's: an exact name beats any pattern; among patterns the words are
// compared from the left and at each word a literal beats `*`, which beats `#` (the router's
// parse tree finds its best match the same way). Patterns that reduce to the same pattern
// (`#.#.com` and `#.com`) conflict and are refused, as the router refuses them.
//
// Names are compiled once into a map (exact names) and a word trie (patterns), so a lookup is a
// map probe and then a walk over the host's words, not a scan over the policies.
import { formatIpAddress, parseIpAddress } from '../security/authentication/ip-address.js';

/** The router's name for the default vhost policy; also a valid vhost name here. */
export const DEFAULT_VHOST_NAME = '$default';

/** A DNS name is at most 253 characters (RFC 1035 §3.1 with the dots, without the root's). */
const MAX_HOST_NAME_CHARS = 253;
/** One word: letters, digits, `-` and `_` (some internal names use `_`). */
const WORD = /^[a-z0-9_-]{1,63}$/;

/** A host name as clients send it, for comparison: undefined if it is not a host name at all. */
export function normalizeHostName(raw: string): string | undefined {
  let text = raw.trim().toLowerCase();
  if (text.startsWith('[')) {
    // [v6] or [v6]:port (Host header, RFC 7230 §5.4 with RFC 3986 §3.2.2).
    const close = text.indexOf(']');
    if (close === -1) return undefined;
    const rest = text.slice(close + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    text = text.slice(1, close);
    const address = parseIpAddress(text);
    return address === undefined ? undefined : formatIpAddress(address);
  }
  const colon = text.indexOf(':');
  if (colon !== -1 && text.indexOf(':', colon + 1) !== -1) {
    // Several colons and no brackets: a bare IPv6 address (SNI never carries one; a config may).
    const address = parseIpAddress(text);
    return address === undefined ? undefined : formatIpAddress(address);
  }
  if (colon !== -1) {
    if (!/^\d{1,5}$/.test(text.slice(colon + 1))) return undefined;
    text = text.slice(0, colon);
  }
  if (text.endsWith('.')) text = text.slice(0, -1);
  if (text === '' || text.length > MAX_HOST_NAME_CHARS) return undefined;
  const address = parseIpAddress(text);
  if (address !== undefined) return formatIpAddress(address);
  for (const word of text.split('.')) if (!WORD.test(word)) return undefined;
  return text;
}

/** Whether a configured vhost name is a pattern (has a `*` or `#` word). */
export function isVhostNamePattern(name: string): boolean {
  return name.split('.').some((word) => word === '*' || word === '#');
}

/**
 * A configured vhost name in its canonical form, or an Error saying what is wrong. Literal names
 * are normalised like host names; a pattern's runs of wildcards are reordered to `*` words then
 * at most one `#` (`#.*` and `*.#` match the same names, `#.#` is `#`).
 */
export function canonicalVhostName(text: string, namePatterns: boolean): string {
  if (text === DEFAULT_VHOST_NAME) return text;
  if (isVhostNamePattern(text)) {
    if (!namePatterns)
      throw new Error(`"${text}" is a name pattern, but name patterns are off: name each vhost literally`);
    return canonicalPattern(text);
  }
  const name = normalizeHostName(text);
  // A port belongs to a listener, not to a vhost's name.
  const hasPort = text.includes(':') && name !== undefined && name.indexOf(':') === -1;
  if (name === undefined || hasPort || text.startsWith('['))
    throw new Error(`"${text}" is not a host name, an IP address, a name pattern or "${DEFAULT_VHOST_NAME}"`);
  return name;
}

function canonicalPattern(text: string): string {
  const words = text.toLowerCase().replace(/\.$/, '').split('.');
  if (text.length > MAX_HOST_NAME_CHARS || words.some((word) => word !== '*' && word !== '#' && !WORD.test(word)))
    throw new Error(
      `"${text}" is not a name pattern: dot-separated words of letters, digits, "-" or "_", each word possibly "*" (one word) or "#" (any number of words)`,
    );
  const out: string[] = [];
  let stars = 0;
  let hash = false;
  const flush = (): void => {
    for (; stars > 0; stars--) out.push('*');
    if (hash) out.push('#');
    hash = false;
  };
  for (const word of words) {
    if (word === '*') stars++;
    else if (word === '#') hash = true;
    else {
      flush();
      out.push(word);
    }
  }
  flush();
  return out.join('.');
}

interface TrieNode<V> {
  readonly literal: Map<string, TrieNode<V>>;
  star: TrieNode<V> | null;
  hash: TrieNode<V> | null;
  /** The vhost whose pattern ends here. */
  entry: VhostEntry<V> | null;
}

export interface VhostEntry<V> {
  /** The vhost's name as configured, canonical (lower case; patterns reordered): the vhost's identity. */
  readonly name: string;
  readonly value: V;
}

export interface VhostNameOptions {
  /** Whether names may be patterns (the router's enableVhostNamePatterns; default false there). */
  readonly namePatterns: boolean;
  /** The vhost for host names no vhost matches; it must be one of the names. Absent: none. */
  readonly defaultVhost?: string | undefined;
}

function newNode<V>(): TrieNode<V> {
  return { literal: new Map(), star: null, hash: null, entry: null };
}

/**
 * The configured vhosts, compiled for lookups by host name. Building throws an Error naming the
 * problem: a name given twice (literally or as patterns that reduce to the same), a pattern
 * while patterns are off, or a default that is not one of the names.
 */
export class VhostNames<V> {
  private readonly exact = new Map<string, VhostEntry<V>>();
  private readonly patterns: TrieNode<V> = newNode();
  private readonly fallback: VhostEntry<V> | null;

  constructor(entries: Iterable<readonly [string, V]>, options: VhostNameOptions) {
    const given = new Map<string, string>();
    for (const [text, value] of entries) {
      const name = canonicalVhostName(text, options.namePatterns);
      const earlier = given.get(name);
      if (earlier !== undefined) {
        throw new Error(
          earlier === text
            ? `vhost "${text}" is defined twice`
            : `vhost "${text}" conflicts with "${earlier}": both reduce to "${name}"`,
        );
      }
      given.set(name, text);
      const entry = Object.freeze({ name, value });
      if (isVhostNamePattern(name)) this.insertPattern(name, entry);
      else this.exact.set(name, entry);
    }
    if (options.defaultVhost === undefined) this.fallback = null;
    else {
      const name = canonicalVhostName(options.defaultVhost, options.namePatterns);
      const entry = this.exact.get(name) ?? this.patternEntry(name);
      if (entry === undefined) throw new Error(`the default vhost "${options.defaultVhost}" is not one of the vhosts`);
      this.fallback = entry;
    }
  }

  /** The vhost named exactly `name` (as configured, any case), for a suffix or listener that names one. */
  byName(name: string): VhostEntry<V> | undefined {
    let canonical: string;
    try {
      canonical = canonicalVhostName(name, true);
    } catch {
      return undefined;
    }
    return this.exact.get(canonical) ?? this.patternEntry(canonical);
  }

  /** The vhost of a host name without the default: exact name, else the best pattern. */
  matchHost(hostName: string): VhostEntry<V> | undefined {
    const name = normalizeHostName(hostName);
    if (name === undefined) return undefined;
    const exact = this.exact.get(name);
    if (exact !== undefined) return exact;
    if (this.patterns.literal.size === 0 && this.patterns.star === null && this.patterns.hash === null)
      return undefined;
    // A per-connection lookup, not a per-message one: splitting is fine here.
    return bestMatch(this.patterns, name.split('.'), 0) ?? undefined;
  }

  /** matchHost, else the default vhost; undefined: no vhost (the caller refuses the connection). */
  find(hostName: string): VhostEntry<V> | undefined {
    return this.matchHost(hostName) ?? this.defaultVhost();
  }

  defaultVhost(): VhostEntry<V> | undefined {
    return this.fallback ?? undefined;
  }

  private insertPattern(name: string, entry: VhostEntry<V>): void {
    let node = this.patterns;
    for (const word of name.split('.')) {
      if (word === '*') node = node.star ??= newNode();
      else if (word === '#') node = node.hash ??= newNode();
      else {
        let next = node.literal.get(word);
        if (next === undefined) {
          next = newNode();
          node.literal.set(word, next);
        }
        node = next;
      }
    }
    node.entry = entry;
  }

  private patternEntry(canonical: string): VhostEntry<V> | undefined {
    let node: TrieNode<V> | null | undefined = this.patterns;
    for (const word of canonical.split('.')) {
      if (node === null || node === undefined) return undefined;
      node = word === '*' ? node.star : word === '#' ? node.hash : node.literal.get(word);
    }
    return node?.entry ?? undefined;
  }
}

/**
 * Depth-first from the left, literal before `*` before `#`: the first full match is the best.
 * Canonical patterns never have two `#` in a row, so backtracking is bounded by the host's words.
 */
function bestMatch<V>(node: TrieNode<V>, words: readonly string[], index: number): VhostEntry<V> | null {
  if (index === words.length) {
    if (node.entry !== null) return node.entry;
    // `#` may stand for no words at the end.
    return node.hash === null ? null : bestMatch(node.hash, words, index);
  }
  const literal = node.literal.get(words[index]);
  if (literal !== undefined) {
    const found = bestMatch(literal, words, index + 1);
    if (found !== null) return found;
  }
  if (node.star !== null) {
    const found = bestMatch(node.star, words, index + 1);
    if (found !== null) return found;
  }
  if (node.hash !== null) {
    // `#` takes as few words as possible first, so the words after it stay literal if they can.
    for (let next = index; next <= words.length; next++) {
      const found = bestMatch(node.hash, words, next);
      if (found !== null) return found;
    }
  }
  return null;
}
