// The topic engine's regex subscriptions. Subscriptions with the same source in the same vhost
// namespace share one group, so a new topic is tested once per distinct regex however many subscribe
// to it. The log keeps them in epoch order, so a cached route can catch up with the regexes added
// since it was computed, when it is next used, instead of every new regex being tested against
// every cached route at once.
//
// A regex belongs to one namespace (SubscriptionPattern `namespace`, vhosts/vhost-namespace.ts)
// and is only tested on that namespace's topics, on their client part: a regex of `\u0000a.com` on
// `\u0000a.com/orders/1` is tested on `orders/1`; one of the default namespace never sees a topic
// starting with NUL. Each namespace keeps its own groups, so a topic is tested only against its own.
import type { RE2JS } from 're2js';
import { EpochLog } from './epoch-log.js';
import type { SubscriptionHandle } from './route.js';
import { removeUnordered } from './unordered-list.js';

/** Where the engine counts regex tests (BrokerStats has this field). */
export interface RegexCounters {
  regexEvaluations: number;
}

const NUL = 0x00;

class RegexGroup<T> {
  readonly regex: RE2JS;
  readonly handles: SubscriptionHandle<T>[];
  /** Memo of one catch-up: the result of testing `regex` when `stamp` was the catch-up's stamp. */
  stamp: number;
  matched: boolean;

  constructor(regex: RE2JS) {
    this.regex = regex;
    this.handles = [];
    this.stamp = 0;
    this.matched = false;
  }
}

/** One namespace's regexes, grouped by source. */
class RegexSpace<T> {
  readonly groups: Map<string, RegexGroup<T>>;
  readonly groupList: RegexGroup<T>[];

  constructor() {
    this.groups = new Map();
    this.groupList = [];
  }
}

export class RegexIndex<T> {
  /** By namespace level ('' for the default namespace); a namespace with no regex has no entry. */
  private readonly spaces: Map<string, RegexSpace<T>>;
  /** Active regex subscriptions in the order they were added. */
  private readonly added: EpochLog<T>;
  private readonly counters: RegexCounters;
  private stamp: number;

  constructor(counters: RegexCounters) {
    this.spaces = new Map();
    this.added = new EpochLog();
    this.counters = counters;
    this.stamp = 0;
  }

  get size(): number {
    return this.added.size;
  }

  /** `handle.epoch` is set by the engine, above every epoch already added. `namespace` is '' for the default. */
  add(handle: SubscriptionHandle<T>, namespace: string, source: string, regex: RE2JS): void {
    let space = this.spaces.get(namespace);
    if (space === undefined) this.spaces.set(namespace, (space = new RegexSpace<T>()));
    let group = space.groups.get(source);
    if (group === undefined) {
      group = new RegexGroup<T>(regex);
      space.groups.set(source, group);
      space.groupList.push(group);
    }
    group.handles.push(handle);
    this.added.push(handle);
  }

  remove(handle: SubscriptionHandle<T>, namespace: string, source: string): void {
    const space = this.spaces.get(namespace);
    const group = space?.groups.get(source);
    if (space !== undefined && group !== undefined && removeUnordered(group.handles, handle)) {
      if (group.handles.length === 0) {
        space.groups.delete(source);
        removeUnordered(space.groupList, group);
        if (space.groupList.length === 0) this.spaces.delete(namespace);
      }
    }
    this.added.remove(handle);
  }

  /** Pushes every regex subscription matching `topic`, testing each distinct regex of its namespace once. */
  collect(topic: string, out: SubscriptionHandle<T>[]): void {
    const namespace = namespaceLevel(topic);
    const space = this.spaces.get(namespace);
    if (space === undefined) return;
    const subject = clientPart(topic, namespace);
    if (subject === null) return;
    const groups = space.groupList;
    for (let i = 0; i < groups.length; i++) {
      const group = groups[i];
      if (this.test(group.regex, subject)) pushAll(out, group.handles);
    }
  }

  /** Pushes the subscriptions added after `sinceEpoch` that match `topic`, testing each distinct regex once. */
  collectSince(sinceEpoch: number, topic: string, out: SubscriptionHandle<T>[]): void {
    const namespace = namespaceLevel(topic);
    const space = this.spaces.get(namespace);
    if (space === undefined) return;
    const subject = clientPart(topic, namespace);
    if (subject === null) return;
    const added = this.added;
    const stamp = ++this.stamp;
    for (let i = added.firstAfter(sinceEpoch); i < added.size; i++) {
      const handle = added.at(i);
      const pattern = handle.pattern;
      if (pattern.kind !== 'regex' || (pattern.namespace ?? '') !== namespace) continue;
      const group = space.groups.get(pattern.source)!;
      if (group.stamp !== stamp) {
        group.stamp = stamp;
        group.matched = this.test(group.regex, subject);
      }
      if (group.matched) out.push(handle);
    }
  }

  private test(regex: RE2JS, topic: string): boolean {
    this.counters.regexEvaluations++;
    return regex.test(topic);
  }
}

/** A topic's namespace level: '' unless it starts with NUL, else its first level. */
function namespaceLevel(topic: string): string {
  if (topic.charCodeAt(0) !== NUL) return '';
  const slash = topic.indexOf('/');
  return slash === -1 ? topic : topic.slice(0, slash);
}

/**
 * What a regex of `namespace` is tested on: the topic itself in the default namespace, else the
 * part after the namespace level and its `/`; null for the namespace level alone (no client's topic).
 */
function clientPart(topic: string, namespace: string): string | null {
  if (namespace === '') return topic;
  return namespace.length < topic.length ? topic.slice(namespace.length + 1) : null;
}

function pushAll<T>(out: T[], items: readonly T[]): void {
  for (let i = 0; i < items.length; i++) out.push(items[i]);
}
