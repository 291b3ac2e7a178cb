import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { CarBlockIterator, CarWriter } from '@ipld/car';
import type { CID } from 'multiformats/cid';
import { EventError } from './errors.ts';
import type { EventErrorCode } from './errors.ts';
import type { EventBlock, SuiteResolver } from './event.ts';
import { PendingPool } from './pendingPool.ts';
import { drainPending } from './store.ts';
import type { AddResult, DagStore } from './store.ts';
import { openMemoryStore } from './database.ts';
import { cidKey } from './cid.ts';
import type { BatchVerifier } from './verifyPool.ts';

/** One refused block of an archive. */
export interface CarProblem {
  readonly cid?: string;
  readonly code: EventErrorCode;
  readonly message: string;
}

/** Outcome of verifying or importing an archive. */
export interface CarReport {
  readonly roots: readonly CID[];
  readonly blocks: number;
  /** Events the archive would add (or added): new, valid ones. */
  readonly accepted: number;
  /** Events already held (or repeated within the archive). */
  readonly duplicates: number;
  readonly problems: readonly CarProblem[];
  /** True when nothing was refused. */
  readonly valid: boolean;
  /** True when the events were written to the store. */
  readonly stored: boolean;
}

/** Reads every block of a CAR stream into memory: (cid, bytes) pairs as named in the archive. */
export async function readCarBlocks(source: AsyncIterable<Uint8Array>): Promise<{ roots: CID[]; blocks: EventBlock[] }> {
  const reader = await CarBlockIterator.fromIterable(source);
  const roots = await reader.getRoots();
  const blocks: EventBlock[] = [];
  for await (const b of reader) blocks.push({ cid: b.cid, bytes: b.bytes });
  return { roots, blocks };
}

/** Streams a CAR archive of one or more groups: roots are the group ids, blocks in topological order. */
export function exportCar(store: DagStore, groups: readonly CID[]): AsyncIterable<Uint8Array> {
  const { writer, out } = CarWriter.create([...groups]);
  void (async () => {
    try {
      for (const g of groups) for await (const b of store.iterateBlocks(g)) await writer.put(b);
    } finally {
      await writer.close();
    }
  })();
  return out;
}

/** Writes a CAR stream to a file. */
export async function writeCarFile(path: string, car: AsyncIterable<Uint8Array>): Promise<void> {
  await pipeline(Readable.from(car), createWriteStream(path));
}

/** Streams the bytes of a CAR file. */
export function readCarFile(path: string): AsyncIterable<Uint8Array> {
  return createReadStream(path);
}

function summarise(roots: CID[], blocks: number, results: readonly AddResult[], stored: boolean): CarReport {
  const problems: CarProblem[] = [];
  let accepted = 0;
  let duplicates = 0;
  for (const r of results) {
    if (r.status === 'accepted') accepted++;
    else if (r.status === 'duplicate') duplicates++;
    else if (r.status === 'rejected' || r.status === 'evicted') {
      problems.push({ ...(r.cid ? { cid: r.cid.toString() } : {}), code: r.error.code, message: r.error.message });
    }
  }
  return { roots, blocks, accepted, duplicates, problems, valid: problems.length === 0, stored };
}

/**
 * Validates an archive against `store` without writing: every block exactly as a pushed event, plus
 * 'missing_parent' for events whose parents are neither in the archive nor in the store.
 */
export async function checkCar(store: DagStore, roots: CID[], blocks: readonly EventBlock[]): Promise<CarReport> {
  const pool = new PendingPool({ maxCount: Math.max(1, blocks.length), maxBytes: Number.MAX_SAFE_INTEGER });
  const results = await store.addMany(blocks, { dryRun: true, pool });
  return summarise(roots, blocks.length, [...results, ...drainPending(pool)], false);
}

/** Validates an archive on its own (an empty in-memory store), storing nothing. */
export async function verifyCar(source: AsyncIterable<Uint8Array>, resolveSuite: SuiteResolver, verifier?: BatchVerifier): Promise<CarReport> {
  let read: { roots: CID[]; blocks: EventBlock[] };
  try {
    read = await readCarBlocks(source);
  } catch (e) {
    return badArchive(e);
  }
  const scratch = await openMemoryStore({ resolveSuite, ...(verifier ? { verifier } : {}) });
  try {
    return await checkCar(scratch, read.roots, read.blocks);
  } finally {
    await scratch.close();
  }
}

/**
 * Imports an archive (untrusted input): validates every block first; when any block is refused or
 * lacks a parent, nothing is stored. Otherwise all events are written, then pending events of the
 * store whose parents arrived are retried.
 */
export async function importCar(store: DagStore, source: AsyncIterable<Uint8Array>): Promise<CarReport> {
  let read: { roots: CID[]; blocks: EventBlock[] };
  try {
    read = await readCarBlocks(source);
  } catch (e) {
    return badArchive(e);
  }
  const pool = new PendingPool({ maxCount: Math.max(1, read.blocks.length), maxBytes: Number.MAX_SAFE_INTEGER });
  const dry = await store.addMany(read.blocks, { dryRun: true, pool });
  const report = summarise(read.roots, read.blocks.length, [...dry, ...drainPending(pool)], false);
  if (!report.valid) return report;
  // The dry run verified every new signature; the write pass does not verify them again.
  const preverified = new Set(dry.filter((r) => r.status === 'accepted').map((r) => cidKey(r.cid)));
  const results = await store.addMany(read.blocks, { pool, preverified });
  await store.retryPending();
  return summarise(read.roots, read.blocks.length, [...results, ...drainPending(pool)], true);
}

function badArchive(e: unknown): CarReport {
  const message = `not a readable CAR archive: ${e instanceof Error ? e.message : String(e)}`;
  const err = new EventError('decode_failed', message);
  return { roots: [], blocks: 0, accepted: 0, duplicates: 0, problems: [{ code: err.code, message }], valid: false, stored: false };
}

/** Streams a CAR archive of the given blocks (in the given order) under the given roots. */
export function encodeCar(roots: readonly CID[], blocks: Iterable<EventBlock> | AsyncIterable<EventBlock>): AsyncIterable<Uint8Array> {
  const { writer, out } = CarWriter.create([...roots]);
  void (async () => {
    try {
      for await (const b of blocks) await writer.put(b);
    } finally {
      await writer.close();
    }
  })();
  return out;
}
