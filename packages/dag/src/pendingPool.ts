import type { CheckedEvent } from './event.ts';
import { cidKey } from './cid.ts';

/** Bounds of a pending pool. */
export interface PendingPoolLimits {
  /** Most events held (default 10,000). */
  readonly maxCount?: number;
  /** Most event bytes held (default 32 MiB). */
  readonly maxBytes?: number;
}

/** An event waiting for parents that have not arrived. */
export interface PendingEntry {
  readonly key: string;
  readonly checked: CheckedEvent;
  /** Keys of parents not yet accepted. */
  readonly missing: Set<string>;
  /** Whether the signature was verified on entry (the group's genesis was known). */
  readonly signatureVerified: boolean;
}

/**
 * Events whose parents are unknown, bounded by count and bytes. Events leave when their last missing
 * parent is accepted, or are evicted oldest first (insertion order, so replicas fed the same sequence
 * evict the same events).
 */
export class PendingPool {
  readonly maxCount: number;
  readonly maxBytes: number;
  readonly #entries = new Map<string, PendingEntry>();
  readonly #waiters = new Map<string, Set<string>>();
  #bytes = 0;

  constructor(limits: PendingPoolLimits = {}) {
    this.maxCount = limits.maxCount ?? 10_000;
    this.maxBytes = limits.maxBytes ?? 32 * 1024 * 1024;
  }

  /** Number of events held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes of the events held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** True when the event with this key is waiting here. */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** The entry for a key, if held. */
  get(key: string): PendingEntry | undefined {
    return this.#entries.get(key);
  }

  /** Every entry, oldest first. */
  entries(): PendingEntry[] {
    return [...this.#entries.values()];
  }

  /** Adds an entry; returns the entries evicted to stay within bounds (possibly the new one). */
  add(entry: PendingEntry): PendingEntry[] {
    if (this.#entries.has(entry.key)) return [];
    this.#entries.set(entry.key, entry);
    this.#bytes += entry.checked.bytes.length;
    for (const m of entry.missing) {
      let set = this.#waiters.get(m);
      if (!set) this.#waiters.set(m, (set = new Set()));
      set.add(entry.key);
    }
    const evicted: PendingEntry[] = [];
    while (this.#entries.size > this.maxCount || this.#bytes > this.maxBytes) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      const e = this.remove(oldest.value);
      if (e) evicted.push(e);
    }
    return evicted;
  }

  /** Removes and returns an entry. */
  remove(key: string): PendingEntry | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    this.#bytes -= entry.checked.bytes.length;
    for (const m of entry.missing) {
      const set = this.#waiters.get(m);
      set?.delete(key);
      if (set && set.size === 0) this.#waiters.delete(m);
    }
    return entry;
  }

  /** Marks `parentKey` as accepted; removes and returns the entries that no longer miss anything. */
  release(parentKey: string): PendingEntry[] {
    const set = this.#waiters.get(parentKey);
    if (!set) return [];
    this.#waiters.delete(parentKey);
    const ready: PendingEntry[] = [];
    for (const key of [...set].sort()) {
      const entry = this.#entries.get(key);
      if (!entry) continue;
      entry.missing.delete(parentKey);
      if (entry.missing.size === 0) {
        this.remove(key);
        ready.push(entry);
      }
    }
    return ready;
  }

  /** Keys of parents that some entry waits for and that are not themselves in the pool, sorted. */
  getMissingKeys(): string[] {
    return [...this.#waiters.keys()].filter((k) => !this.#entries.has(k)).sort();
  }

  /** Removes everything; returns what was held, oldest first. */
  clear(): PendingEntry[] {
    const all = this.entries();
    this.#entries.clear();
    this.#waiters.clear();
    this.#bytes = 0;
    return all;
  }
}

/** Convenience: a pending entry for a checked event. */
export function makePendingEntry(checked: CheckedEvent, missing: Iterable<string>, signatureVerified: boolean): PendingEntry {
  return { key: cidKey(checked.cid), checked, missing: new Set(missing), signatureVerified };
}
