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
  // A 16 MiB write buffer (LevelDB's default is 4 MiB) makes fewer level-0 files, so bulk ingest
  // is not slowed down by compaction falling behind.
  return new Level<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view', writeBufferSize: 16 * 1024 * 1024 });
}

/** Opens a store in memory (tests, dry runs). */
export function openMemoryStore(options: DagStoreOptions): Promise<DagStore> {
  return DagStore.open(createMemoryDb(), options);
}

/** Opens a store in LevelDB at `dir`. */
export function openLevelStore(dir: string, options: DagStoreOptions): Promise<DagStore> {
  return DagStore.open(createLevelDb(dir), options);
}
