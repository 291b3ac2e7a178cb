import { CryptoError } from './errors.ts';

// Every provider cache, so one call can resize them all (they are module-level singletons).
const allCaches = new Set<KeyCache<unknown>>();
let defaultCapacity = 1024;

/**
 * Sets how many imported keys each provider cache keeps (default 1024 per key type). A process that
 * simulates thousands of devices may want more; a memory-tight one, fewer.
 */
export function setKeyCacheCapacity(capacity: number): void {
  if (!Number.isInteger(capacity) || capacity < 1) throw new CryptoError('invalid_argument', `key cache capacity must be a positive integer, got ${capacity}`);
  defaultCapacity = capacity;
  for (const cache of allCaches) cache.resize(capacity);
}

/**
 * Bounded LRU map keyed by byte strings. Providers keep imported key objects here so that a key
 * passed as raw bytes is parsed by OpenSSL / noble once, not on every call.
 */
export class KeyCache<V> {
  private readonly map = new Map<string, V>();
  private capacity: number;

  constructor(capacity = defaultCapacity) {
    this.capacity = capacity;
    allCaches.add(this);
  }

  /** Changes the bound, evicting the least recently used entries beyond it. */
  resize(capacity: number): void {
    this.capacity = capacity;
    while (this.map.size > capacity) {
      const oldest = this.map.keys().next();
      if (oldest.done === true) break;
      this.map.delete(oldest.value);
    }
  }

  /** The cached value for `bytes`, importing it with `load` on a miss. */
  getOrLoad(bytes: Uint8Array, load: (bytes: Uint8Array) => V): V {
    const id = cacheKey(bytes);
    const hit = this.map.get(id);
    if (hit !== undefined) {
      // Refresh recency: Map iteration order is insertion order, so re-insert at the end.
      this.map.delete(id);
      this.map.set(id, hit);
      return hit;
    }
    const value = load(bytes);
    this.map.set(id, value);
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next();
      if (oldest.done !== true) this.map.delete(oldest.value);
    }
    return value;
  }

  /** Number of cached entries. */
  get size(): number {
    return this.map.size;
  }

  /** Drops every entry. */
  clear(): void {
    this.map.clear();
  }
}

// One UTF-16 code unit per byte: an injective bytes -> string mapping that needs no Buffer (the
// noble provider must stay browser-portable). Measured at ~0.4 us per lookup for 32-byte keys,
// on par with Buffer#toString('latin1'). Keys are at most a few hundred bytes, far below the
// argument-count limit of apply.
function cacheKey(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}
