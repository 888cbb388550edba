// The topic engine's regex subscriptions. Subscriptions with the same source share one group, so a
// new topic is tested once per distinct regex however many subscribe to it. The log keeps them in
// epoch order, so a cached route can catch up with the regexes added since it was computed, when it
// is next used, instead of every new regex being tested against every cached route at once.
import type { RE2JS } from 're2js';
import { EpochLog } from './epoch-log.js';
import type { SubscriptionHandle } from './route.js';
import { removeUnordered } from './unordered-list.js';

/** Where the engine counts regex tests (BrokerStats has this field). */
export interface RegexCounters {
  regexEvaluations: number;
}

const NUL = 0x00;
const SLASH = 0x2f;

/** The group key of a regex in a namespace: unambiguous whatever characters the source has. */
function groupKey(namespace: string, source: string): string {
  return namespace === '' ? source : `${namespace.length}:${namespace}${source}`;
}

class RegexGroup<T> {
  readonly regex: RE2JS;
  /** The vhost namespace level whose topics alone it is tested on ('' for the default namespace). */
  readonly namespace: string;
  readonly handles: SubscriptionHandle<T>[];
  /** Memo of one catch-up: the result of testing `regex` when `stamp` was the catch-up's stamp. */
  stamp: number;
  matched: boolean;

  constructor(regex: RE2JS, namespace: string) {
    this.regex = regex;
    this.namespace = namespace;
    this.handles = [];
    this.stamp = 0;
    this.matched = false;
  }
}

export class RegexIndex<T> {
  private readonly groups: Map<string, RegexGroup<T>>;
  private readonly groupList: RegexGroup<T>[];
  /** Active regex subscriptions in the order they were added. */
  private readonly added: EpochLog<T>;
  private readonly counters: RegexCounters;
  private stamp: number;

  constructor(counters: RegexCounters) {
    this.groups = new Map();
    this.groupList = [];
    this.added = new EpochLog();
    this.counters = counters;
    this.stamp = 0;
  }

  get size(): number {
    return this.added.size;
  }

  /** `handle.epoch` is set by the engine, above every epoch already added. */
  add(handle: SubscriptionHandle<T>, source: string, regex: RE2JS, namespace = ''): void {
    const key = groupKey(namespace, source);
    let group = this.groups.get(key);
    if (group === undefined) {
      group = new RegexGroup<T>(regex, namespace);
      this.groups.set(key, group);
      this.groupList.push(group);
    }
    group.handles.push(handle);
    this.added.push(handle);
  }

  remove(handle: SubscriptionHandle<T>, source: string, namespace = ''): void {
    const key = groupKey(namespace, source);
    const group = this.groups.get(key);
    if (group !== undefined && removeUnordered(group.handles, handle) && group.handles.length === 0) {
      this.groups.delete(key);
      removeUnordered(this.groupList, group);
    }
    this.added.remove(handle);
  }

  /** Pushes every regex subscription matching `topic`, testing each distinct regex once. */
  collect(topic: string, out: SubscriptionHandle<T>[]): void {
    const groups = this.groupList;
    for (let i = 0; i < groups.length; i++) {
      const group = groups[i];
      if (this.test(group, topic)) pushAll(out, group.handles);
    }
  }

  /** Pushes the subscriptions added after `sinceEpoch` that match `topic`, testing each distinct regex once. */
  collectSince(sinceEpoch: number, topic: string, out: SubscriptionHandle<T>[]): void {
    const added = this.added;
    const stamp = ++this.stamp;
    for (let i = added.firstAfter(sinceEpoch); i < added.size; i++) {
      const handle = added.at(i);
      const pattern = handle.pattern;
      if (pattern.kind !== 'regex') continue;
      const group = this.groups.get(groupKey(pattern.namespace ?? '', pattern.source))!;
      if (group.stamp !== stamp) {
        group.stamp = stamp;
        group.matched = this.test(group, topic);
      }
      if (group.matched) out.push(handle);
    }
  }

  /** A regex sees only its own namespace's topics, without the namespace level (docs/vhosts.md). */
  private test(group: RegexGroup<T>, topic: string): boolean {
    const namespace = group.namespace;
    let subject = topic;
    if (namespace === '') {
      if (topic.charCodeAt(0) === NUL) return false;
    } else {
      if (!topic.startsWith(namespace) || topic.charCodeAt(namespace.length) !== SLASH) return false;
      subject = topic.slice(namespace.length + 1);
    }
    this.counters.regexEvaluations++;
    return group.regex.test(subject);
  }
}

function pushAll<T>(out: T[], items: readonly T[]): void {
  for (let i = 0; i < items.length; i++) out.push(items[i]);
}
