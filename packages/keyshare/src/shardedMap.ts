// A persistent string-keyed map in 256 shards: setting one key copies the shard index and one
// shard (about 1/256 of the entries), so pure state updates stay cheap with 100,000 entries.

/** An immutable map split into shards by a hash of the key. */
export interface ShardedMap<V> {
  readonly size: number;
  readonly shards: ReadonlyMap<number, ReadonlyMap<string, V>>;
}

/** An empty sharded map. */
export function createShardedMap<V>(): ShardedMap<V> {
  return { size: 0, shards: new Map() };
}

function shardOf(key: string): number {
  let h = 0x811c9dc5; // FNV-1a over the UTF-16 code units
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 24;
}

/** The value at `key`, or undefined. */
export function getSharded<V>(m: ShardedMap<V>, key: string): V | undefined {
  return m.shards.get(shardOf(key))?.get(key);
}

/** A new map with `key` set to `value`. */
export function setSharded<V>(m: ShardedMap<V>, key: string, value: V): ShardedMap<V> {
  const s = shardOf(key);
  const old = m.shards.get(s);
  const shard = new Map(old ?? []);
  const had = shard.has(key);
  shard.set(key, value);
  const shards = new Map(m.shards);
  shards.set(s, shard);
  return { size: m.size + (had ? 0 : 1), shards };
}

/** Every entry, in no particular order. */
export function* entriesOfSharded<V>(m: ShardedMap<V>): Generator<[string, V]> {
  for (const shard of m.shards.values()) yield* shard;
}

/** A new map with only the entries `keep` accepts (the same map when all are kept). */
export function filterSharded<V>(m: ShardedMap<V>, keep: (value: V, key: string) => boolean): ShardedMap<V> {
  let changed = false;
  let size = 0;
  const shards = new Map<number, ReadonlyMap<string, V>>();
  for (const [s, shard] of m.shards) {
    const kept = new Map<string, V>();
    for (const [k, v] of shard) if (keep(v, k)) kept.set(k, v);
    if (kept.size !== shard.size) changed = true;
    size += kept.size;
    if (kept.size > 0) shards.set(s, kept.size === shard.size ? shard : kept);
  }
  return changed ? { size, shards } : m;
}

/** A sharded map of the given entries. */
export function shardedFrom<V>(entries: Iterable<[string, V]>): ShardedMap<V> {
  const shards = new Map<number, Map<string, V>>();
  let size = 0;
  for (const [k, v] of entries) {
    const s = shardOf(k);
    let shard = shards.get(s);
    if (!shard) shards.set(s, (shard = new Map()));
    if (!shard.has(k)) size++;
    shard.set(k, v);
  }
  return { size, shards };
}
