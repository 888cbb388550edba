// A vhost's namespace in the topic engine. Vhosts share one engine; each vhost's topics get a
// hidden first level, NUL followed by the vhost's name: client topic `a/b` in vhost `example.com`
// is `\u0000example.com/a/b` inside the broker. No client can write a NUL in a topic or a regex
// (topics/topic-validation.ts, topics/compile-topic-regex.ts), so none can forge another vhost's
// level. The engine keeps namespaces apart (topics/wildcard-match.ts, topics/regex-index.ts): a
// first-level wildcard never matches a namespaced topic, the `$` rule applies to the client's first
// level, and a regex is tested only on its own namespace's topics, on their client part.
//
// The default namespace (the `$default` vhost, and everything when vhosts are off) has no prefix:
// its internal topics and patterns are the clients' own, and cost nothing more to route.
//
// A cluster interest key holds its pattern's internal text: the filter or topic with its namespace
// level, `\u0000example.com/orders/#`, and for a regex the namespace level, `/`, then the source
// (storedText); parseStoredPattern reads it back. An MQTT session's records keep the client's
// filters, and its client id, which is internal, says which namespace they are in (ofInternal).
import {
  parseSubscriptionPattern,
  TopicError,
  type SubscriptionPattern,
  type SubscriptionSpec,
  type TopicLimits,
} from '../topics/index.js';
import { quoteInput } from '../topics/topic-errors.js';
import { canonicalVhostName, DEFAULT_VHOST_NAME } from './vhost-names.js';

const NUL = '\u0000';
const NUL_CODE = 0x00;

export class VhostNamespace {
  /** The `$default` vhost's namespace: plain topics, no prefix. */
  static readonly DEFAULT: VhostNamespace = new VhostNamespace(DEFAULT_VHOST_NAME);

  /** The vhost's canonical name (vhost-names.ts canonicalVhostName), `$default` for the default namespace. */
  readonly name: string;
  /** The hidden first level of its internal topics, `\u0000{name}`; '' for the default namespace. */
  readonly prefix: string;

  /** Throws an Error unless `name` is a canonical vhost name (a host name, a name pattern, or `$default`). */
  constructor(name: string) {
    let canonical: string;
    try {
      canonical = canonicalVhostName(name, true);
    } catch (error) {
      throw new Error(`no vhost namespace for "${name}": ${(error as Error).message}`, { cause: error });
    }
    if (canonical !== name) throw new Error(`no vhost namespace for "${name}": its canonical name is "${canonical}"`);
    // Canonical names never hold these; the prefix scheme depends on it, so say so here too.
    if (name.includes('/') || name.includes(NUL)) throw new Error(`no vhost namespace for "${name}"`);
    this.name = name;
    this.prefix = name === DEFAULT_VHOST_NAME ? '' : NUL + name;
  }

  get isDefault(): boolean {
    return this.prefix === '';
  }

  /** The internal topic of a client's (validated) topic. */
  topic(clientTopic: string): string {
    return this.prefix === '' ? clientTopic : `${this.prefix}/${clientTopic}`;
  }

  /**
   * The internal pattern of a client's pattern (parseSubscriptionPattern's, without a namespace):
   * the same object in the default namespace. Throws a TypeError for a pattern already namespaced.
   */
  pattern(p: SubscriptionPattern): SubscriptionPattern {
    if (this.prefix === '') return p;
    if (namespaceOfPattern(p) !== '') throw new TypeError('the pattern is already in a vhost namespace');
    return inNamespace(this.prefix, p);
  }

  /** A client's topic from an internal one: without its namespace level ('' for that level alone). */
  /** The namespace an internal topic or client id is in. */
  static ofInternal(internal: string): VhostNamespace {
    const prefix = VhostNamespace.namespaceOf(internal);
    return prefix === '' ? VhostNamespace.DEFAULT : new VhostNamespace(prefix.slice(1));
  }

  static clientTopic(internal: string): string {
    if (internal.charCodeAt(0) !== NUL_CODE) return internal;
    const slash = internal.indexOf('/');
    return slash === -1 ? '' : internal.slice(slash + 1);
  }

  /** An internal topic's namespace level (`\u0000{name}`), or '' in the default namespace. */
  static namespaceOf(internal: string): string {
    if (internal.charCodeAt(0) !== NUL_CODE) return '';
    const slash = internal.indexOf('/');
    return slash === -1 ? internal : internal.slice(0, slash);
  }

  /**
   * A pattern's stored text: an exact topic or a filter as it is (with its namespace level), a
   * regex's source after its namespace level and `/`. The default namespace's is the client's text.
   */
  static storedText(pattern: SubscriptionPattern): string {
    switch (pattern.kind) {
      case 'exact':
        return pattern.topic;
      case 'wildcard':
        return pattern.filter;
      case 'regex':
        return pattern.namespace === undefined ? pattern.source : `${pattern.namespace}/${pattern.source}`;
    }
  }

  /**
   * The pattern a stored text stands for: `{ topic }` for an exact topic or a filter, `{ regex }`
   * for a regex's storedText. Its client part is parsed again under `limits` by
   * parseSubscriptionPattern (text without a namespace is exactly that), then put back in its
   * namespace. Throws TopicError as parseSubscriptionPattern does, and for a namespace level
   * without a name or without a client part after it.
   */
  static parseStoredPattern(spec: SubscriptionSpec, limits: TopicLimits): SubscriptionPattern {
    const { topic, regex } = spec;
    const text = topic ?? regex;
    if (typeof text !== 'string' || text.charCodeAt(0) !== NUL_CODE || (topic !== undefined && regex !== undefined)) {
      return parseSubscriptionPattern(spec, limits);
    }
    const slash = text.indexOf('/');
    if (slash <= 1 || text.lastIndexOf(NUL, slash) !== 0) {
      throw new TopicError(
        topic !== undefined ? 'INVALID_TOPIC' : 'INVALID_REGEX',
        `stored pattern has no valid vhost namespace level: ${quoteInput(text)}`,
      );
    }
    const rest = text.slice(slash + 1);
    const pattern = parseSubscriptionPattern(topic !== undefined ? { topic: rest } : { regex: rest }, limits);
    return inNamespace(text.slice(0, slash), pattern);
  }
}

/** A pattern's namespace level, or '' in the default namespace. */
function namespaceOfPattern(p: SubscriptionPattern): string {
  switch (p.kind) {
    case 'exact':
      return VhostNamespace.namespaceOf(p.topic);
    case 'wildcard':
      return VhostNamespace.namespaceOf(p.filter);
    case 'regex':
      return p.namespace ?? '';
  }
}

/** A client-level pattern moved under the namespace level `prefix`. */
function inNamespace(prefix: string, p: SubscriptionPattern): SubscriptionPattern {
  switch (p.kind) {
    case 'exact':
      return { kind: 'exact', topic: `${prefix}/${p.topic}` };
    case 'wildcard':
      return { kind: 'wildcard', filter: `${prefix}/${p.filter}`, levels: [prefix, ...p.levels] };
    case 'regex':
      return { kind: 'regex', source: p.source, regex: p.regex, namespace: prefix };
  }
}
