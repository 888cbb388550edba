// A vhost's topics live under a hidden first level of the internal topic key: client topic `a/b`
// in vhost `example.com` is routed, retained and stored as "\u0000example.com/a/b". Clients can
// never write NUL in a topic (topic-validation.ts), so they cannot name another vhost's level, and
// the topic engine keeps wildcards and regexes inside their own namespace (wildcard-match.ts,
// wildcard-trie.ts, regex-index.ts). The default vhost ($default, and everything with vhosts off)
// has no prefix: its topics are the plain ones, exactly as before vhosts existed.
import type { SubscriptionPattern } from '../topics/index.js';
import { DEFAULT_VHOST_NAME } from './vhost-names.js';

const NUL = 0x00;
const SLASH = '/';

export class VhostNamespace {
  /** The default namespace: plain topics. */
  static readonly DEFAULT = new VhostNamespace(DEFAULT_VHOST_NAME);

  /** The hidden first level, NUL and the vhost's name ('' for the default namespace). */
  readonly prefix: string;
  private readonly head: string;

  constructor(
    /** The vhost's canonical name (never contains "/" or NUL). */
    readonly name: string,
  ) {
    this.prefix = name === DEFAULT_VHOST_NAME ? '' : `\u0000${name}`;
    this.head = this.prefix === '' ? '' : this.prefix + SLASH;
  }

  /** The namespace an internal topic or client id is in. */
  static ofInternal(internal: string): VhostNamespace {
    const prefix = VhostNamespace.namespaceOf(internal);
    return prefix === '' ? VhostNamespace.DEFAULT : new VhostNamespace(prefix.slice(1));
  }

  /** The internal topic (or client id) of a client's. */
  topic(clientTopic: string): string {
    return this.head === '' ? clientTopic : this.head + clientTopic;
  }

  /** A client's subscription pattern, in this namespace; the same object in the default namespace. */
  pattern(pattern: SubscriptionPattern): SubscriptionPattern {
    if (this.prefix === '') return pattern;
    switch (pattern.kind) {
      case 'exact':
        return { kind: 'exact', topic: this.head + pattern.topic };
      case 'wildcard':
        return { kind: 'wildcard', filter: this.head + pattern.filter, levels: [this.prefix, ...pattern.levels] };
      case 'regex':
        return { ...pattern, namespace: this.prefix };
    }
  }

  /** What a client sees of an internal topic (or client id): without its namespace level. */
  static clientTopic(internal: string): string {
    if (internal.charCodeAt(0) !== NUL) return internal;
    const slash = internal.indexOf(SLASH);
    return slash === -1 ? '' : internal.slice(slash + 1);
  }

  /** The namespace level of an internal topic ("\u0000name"), or '' for a default-namespace one. */
  static namespaceOf(internal: string): string {
    if (internal.charCodeAt(0) !== NUL) return '';
    const slash = internal.indexOf(SLASH);
    return slash === -1 ? internal : internal.slice(0, slash);
  }
}
