// A trie over topic levels holding wildcard subscriptions, so a route miss costs one walk over the
// topic's levels instead of one test per wildcard filter.
import { removeUnordered } from './unordered-list.js';

const NUL = 0x00;
const DOLLAR = 0x24;

class TrieNode<T> {
  /** Literal next levels. Null until needed: most nodes are leaves. */
  children: Map<string, TrieNode<T>> | null;
  /** The `+` next level. */
  plusChild: TrieNode<T> | null;
  /** Entries whose filter ends at this node. */
  entries: T[] | null;
  /** Entries whose filter is this node's path followed by `#`. */
  hashEntries: T[] | null;

  constructor() {
    this.children = null;
    this.plusChild = null;
    this.entries = null;
    this.hashEntries = null;
  }

  child(level: string): TrieNode<T> | null {
    if (level === '+') return this.plusChild;
    return this.children === null ? null : (this.children.get(level) ?? null);
  }

  childOrCreate(level: string): TrieNode<T> {
    const existing = this.child(level);
    if (existing !== null) return existing;
    const created = new TrieNode<T>();
    if (level === '+') this.plusChild = created;
    else (this.children ??= new Map()).set(level, created);
    return created;
  }

  detachChild(level: string): void {
    if (level === '+') {
      this.plusChild = null;
    } else if (this.children !== null) {
      this.children.delete(level);
      if (this.children.size === 0) this.children = null;
    }
  }

  get isEmpty(): boolean {
    return this.children === null && this.plusChild === null && this.entries === null && this.hashEntries === null;
  }
}

export class WildcardTrie<T> {
  private readonly root: TrieNode<T>;
  private entryCount: number;
  /** Scratch stacks reused by every collect() and remove(): no allocation per call. */
  private readonly stackNodes: TrieNode<T>[];
  private readonly stackDepths: number[];

  constructor() {
    this.root = new TrieNode<T>();
    this.entryCount = 0;
    this.stackNodes = [];
    this.stackDepths = [];
  }

  get size(): number {
    return this.entryCount;
  }

  /** `levels` is a validated filter split on `/`; a `#` can only be the last level. */
  add(levels: readonly string[], entry: T): void {
    const depth = pathDepth(levels);
    let node = this.root;
    for (let i = 0; i < depth; i++) node = node.childOrCreate(levels[i]);
    if (depth < levels.length) (node.hashEntries ??= []).push(entry);
    else (node.entries ??= []).push(entry);
    this.entryCount++;
  }

  /** Removes one occurrence of `entry` under `levels` and prunes nodes left empty. Returns whether it was found. */
  remove(levels: readonly string[], entry: T): boolean {
    const depth = pathDepth(levels);
    const path = this.stackNodes;
    let node = this.root;
    path[0] = node;
    for (let i = 0; i < depth; i++) {
      const next = node.child(levels[i]);
      if (next === null) return false;
      node = next;
      path[i + 1] = node;
    }
    const isHash = depth < levels.length;
    const list = isHash ? node.hashEntries : node.entries;
    if (list === null || !removeUnordered(list, entry)) return false;
    if (list.length === 0) {
      if (isHash) node.hashEntries = null;
      else node.entries = null;
    }
    this.entryCount--;
    for (let i = depth; i > 0 && path[i].isEmpty; i--) path[i - 1].detachChild(levels[i - 1]);
    return true;
  }

  /**
   * Pushes onto `out` every entry whose filter matches the topic split into `topicLevels`, with
   * wildcardMatches' rules for `$` topics and vhost namespaces (topics starting with NUL).
   */
  collect(topicLevels: readonly string[], out: T[]): void {
    if (this.entryCount === 0) return;
    const nodes = this.stackNodes;
    const depths = this.stackDepths;
    const levelCount = topicLevels.length;
    // The shallowest node whose `+` child, and whose `#` entries, may match this topic.
    let plusFrom = 0;
    let hashFrom = 0;
    const first = levelCount > 0 ? topicLevels[0].charCodeAt(0) : -1;
    if (first === DOLLAR) {
      // [MQTT-4.7.2-1]: a first-level wildcard does not match topics starting with '$'.
      plusFrom = hashFrom = 1;
    } else if (first === NUL) {
      // A vhost's topic: its namespace level only matches literally, the `$` rule moves to level 1,
      // and `#` after the namespace level does not match the namespace level alone.
      plusFrom = 1;
      hashFrom = levelCount > 1 ? 1 : 2;
      if (levelCount > 1 && topicLevels[1].charCodeAt(0) === DOLLAR) plusFrom = hashFrom = 2;
    }
    nodes[0] = this.root;
    depths[0] = 0;
    let top = 1;
    while (top > 0) {
      top--;
      const node = nodes[top];
      const depth = depths[top];
      // `#` also matches the parent level, so it applies whether or not levels remain.
      if (node.hashEntries !== null && depth >= hashFrom) pushAll(out, node.hashEntries);
      if (depth === levelCount) {
        if (node.entries !== null) pushAll(out, node.entries);
        continue;
      }
      if (node.children !== null) {
        const literal = node.children.get(topicLevels[depth]);
        if (literal !== undefined) {
          nodes[top] = literal;
          depths[top] = depth + 1;
          top++;
        }
      }
      if (node.plusChild !== null && depth >= plusFrom) {
        nodes[top] = node.plusChild;
        depths[top] = depth + 1;
        top++;
      }
    }
  }
}

/** Number of trie levels a filter occupies: a trailing `#` lives on its parent node. */
function pathDepth(levels: readonly string[]): number {
  return levels[levels.length - 1] === '#' ? levels.length - 1 : levels.length;
}

function pushAll<T>(out: T[], items: readonly T[]): void {
  for (let i = 0; i < items.length; i++) out.push(items[i]);
}
