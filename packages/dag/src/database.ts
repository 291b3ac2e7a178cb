import { MemoryLevel } from 'memory-level';
import { Level } from 'level';
import { DagStore } from './store.ts';
import type { DagDb, DagStoreOptions } from './store.ts';

/** A fresh in-memory database with the key and value encodings a store expects. */
export function createMemoryDb(): DagDb {
  return new MemoryLevel<string, Uint8Array>({ keyEncoding: 'utf8', valueEncoding: 'view' });
}

/** A LevelDB database at `dir` (created when absent) with the encodings a store expects. */
export function createLevelDb(dir: string): DagDb {
  // Store keys are hashes, so every level-0 file overlaps all of level 1 and each flush of the write
  // buffer is merged into the whole level: a 64 MiB buffer (LevelDB's default is 4 MiB) flushes and
  // compacts far less often. Blocks are signed events with random-looking bodies (ciphertexts, keys,
  // signatures), which Snappy cannot shrink, so compression only costs CPU. Measured at 100,000
  // events: LevelDB background thread 26 -> 3 us per event, the run's CPU per event 108-111 -> 84-98
  // (without signature checks). The price is up to two buffers in memory while one is flushed.
  return new Level<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view', writeBufferSize: 64 * 1024 * 1024, compression: false });
}

/** Opens a store in memory (tests, dry runs). */
export function openMemoryStore(options: DagStoreOptions): Promise<DagStore> {
  return DagStore.open(createMemoryDb(), options);
}

/** Opens a store in LevelDB at `dir`. */
export function openLevelStore(dir: string, options: DagStoreOptions): Promise<DagStore> {
  return DagStore.open(createLevelDb(dir), options);
}
