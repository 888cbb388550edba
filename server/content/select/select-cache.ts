// Shares compiled selects: lists (and compositions) with the same canonical form get one object,
// so the broker can encode a projected message once for every subscriber holding that object.
// Bounded; when full, the oldest entry goes (an evicted select keeps working, it is just shared
// less).
import { compileSelect, type CompiledSelect } from './compile-select.js';
import { composeSelects } from './compose-selects.js';

export const DEFAULT_SELECT_CACHE_SIZE = 1024;

export class SelectCache {
  readonly #bySource = new Map<string, CompiledSelect>();
  readonly #byCanonical = new Map<string, CompiledSelect>();

  constructor(readonly maxEntries: number = DEFAULT_SELECT_CACHE_SIZE) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  }

  /**
   * The shared compiled select for `selectList`; throws SelectError like compileSelect. Its
   * `source` is that of the first list compiled to the same canonical form.
   */
  select(selectList: string): CompiledSelect {
    const known = this.#bySource.get(selectList);
    if (known !== undefined) return known;
    const shared = this.#share(compileSelect(selectList));
    remember(this.#bySource, selectList, shared, this.maxEntries);
    return shared;
  }

  /** The shared composition of `first` then `second` (see composeSelects). */
  compose(first: CompiledSelect | null, second: CompiledSelect | null): CompiledSelect | null {
    const composed = composeSelects(first, second);
    return composed === null || composed === first || composed === second ? composed : this.#share(composed);
  }

  get size(): number {
    return this.#byCanonical.size;
  }

  #share(compiled: CompiledSelect): CompiledSelect {
    const known = this.#byCanonical.get(compiled.canonical);
    if (known !== undefined) return known;
    remember(this.#byCanonical, compiled.canonical, compiled, this.maxEntries);
    return compiled;
  }
}

function remember(map: Map<string, CompiledSelect>, key: string, value: CompiledSelect, maxEntries: number): void {
  if (map.size >= maxEntries) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
  map.set(key, value);
}

const sharedCache = new SelectCache();

/** `select` on a process-wide cache: compiled selects are immutable, so sharing them is safe. */
export function internSelect(selectList: string): CompiledSelect {
  return sharedCache.select(selectList);
}
