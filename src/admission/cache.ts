/** A bounded TTL cache with single-flight: concurrent lookups of one key share one promise. */

export interface CacheStats {
  hits: number;
  misses: number;
  /** Lookups that joined one already in flight. */
  shared: number;
}

export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();
  private readonly inflight = new Map<string, Promise<V>>();
  readonly stats: CacheStats = { hits: 0, misses: 0, shared: 0 };

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The live value of `key`, or undefined (an expired entry is dropped). */
  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    if (ttlMs <= 0) return;
    this.entries.delete(key);
    // Map keeps insertion order: the first key is the oldest written.
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, expires: this.now() + ttlMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The cached value, else the result of `load` (shared by every concurrent caller of the same
   * key), stored for `ttlOf(value)` ms. A failed load is not cached.
   */
  async getOrLoad(key: string, load: () => Promise<V>, ttlOf: (v: V) => number): Promise<{ value: V; cached: boolean }> {
    const hit = this.get(key);
    if (hit !== undefined) {
      this.stats.hits++;
      return { value: hit, cached: true };
    }
    const running = this.inflight.get(key);
    if (running) {
      this.stats.shared++;
      return { value: await running, cached: false };
    }
    this.stats.misses++;
    const p = (async () => {
      try {
        const v = await load();
        this.set(key, v, ttlOf(v));
        return v;
      } finally {
        this.inflight.delete(key);
      }
    })();
    this.inflight.set(key, p);
    return { value: await p, cached: false };
  }
}
