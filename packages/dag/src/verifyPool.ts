import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { ProviderName } from '@weft/crypto';
import type { SuiteResolver } from './event.ts';
import { createSuiteResolver } from './suites.ts';

/** One signature to check: suite id, public key, signed bytes, signature. */
export interface VerifyJob {
  readonly suite: number;
  readonly key: Uint8Array;
  readonly payload: Uint8Array;
  readonly sig: Uint8Array;
}

/** true: valid; false: wrong signature; a string: the key was malformed (the reason); null: suite unknown. */
export type VerifyVerdict = boolean | string | null;

/** Checks many signatures at once, possibly off the main thread. */
export interface BatchVerifier {
  verifyMany(jobs: readonly VerifyJob[]): Promise<VerifyVerdict[]>;
  /**
   * Verifies one queued piece of work in the calling thread, if any is waiting for a thread; false
   * when there is none. A caller about to wait for verdicts calls it instead of idling.
   */
  helpOne?(): boolean;
  /** Stops any threads. */
  close(): Promise<void>;
}

/** Verdict of one job on a suite resolver, in the calling thread. */
export function verifyJob(resolveSuite: SuiteResolver, job: VerifyJob): VerifyVerdict {
  const suite = resolveSuite(job.suite);
  if (!suite) return null;
  try {
    return suite.verify(job.key, job.payload, job.sig);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Verifies in the calling thread (the default: deterministic, no threads). */
export function createInlineVerifier(resolveSuite: SuiteResolver): BatchVerifier {
  return {
    verifyMany: (jobs) => Promise.resolve(jobs.map((j) => verifyJob(resolveSuite, j))),
    close: () => Promise.resolve(),
  };
}

/** Options of a worker verifier. */
export interface WorkerVerifierOptions {
  /** Worker threads (default: available cores, at most 4). */
  readonly threads?: number;
  readonly provider?: ProviderName;
  /**
   * Node flags of the workers; they load TypeScript sources, so they need a loader such as tsx.
   * Default: the parent's flags (right when the parent runs under tsx).
   */
  readonly execArgv?: string[];
}

/**
 * Packs jobs into one buffer, so a batch crosses to a worker as a single transferred ArrayBuffer
 * instead of a structured clone of three arrays per job. Layout per job: suite (u16), key, payload
 * and signature lengths (u16, u32, u16), then the three byte strings.
 */
export function packVerifyJobs(jobs: readonly VerifyJob[]): ArrayBuffer {
  let size = 4;
  for (const j of jobs) size += 10 + j.key.length + j.payload.length + j.sig.length;
  const buf = new ArrayBuffer(size);
  const view = new DataView(buf);
  const bytes = new Uint8Array(buf);
  view.setUint32(0, jobs.length);
  let at = 4;
  for (const j of jobs) {
    view.setUint16(at, j.suite);
    view.setUint16(at + 2, j.key.length);
    view.setUint32(at + 4, j.payload.length);
    view.setUint16(at + 8, j.sig.length);
    at += 10;
    bytes.set(j.key, at);
    at += j.key.length;
    bytes.set(j.payload, at);
    at += j.payload.length;
    bytes.set(j.sig, at);
    at += j.sig.length;
  }
  return buf;
}

/** The jobs of a buffer made by packVerifyJobs (byte strings are views into it). */
export function unpackVerifyJobs(buf: ArrayBuffer): VerifyJob[] {
  const view = new DataView(buf);
  const bytes = new Uint8Array(buf);
  const out: VerifyJob[] = [];
  let at = 4;
  for (let n = view.getUint32(0); n > 0; n--) {
    const suite = view.getUint16(at);
    const k = view.getUint16(at + 2);
    const p = view.getUint32(at + 4);
    const s = view.getUint16(at + 8);
    at += 10;
    out.push({ suite, key: bytes.subarray(at, at + k), payload: bytes.subarray(at + k, at + k + p), sig: bytes.subarray(at + k + p, at + k + p + s) });
    at += k + p + s;
  }
  return out;
}

/** Signatures per message to a worker: about 5 ms of work, against tens of microseconds per message. */
const PIECE_SIZE = 32;
/** Pieces a worker holds at once, so it never waits a round trip for its next piece. */
const PIECES_PER_WORKER = 2;

interface Pending {
  resolve(v: VerifyVerdict[]): void;
  reject(e: unknown): void;
}

/**
 * Verifies on worker threads through `@weft/crypto` (each worker resolves the suite itself), so
 * Ed25519 verification, the dominant cost of ingest, runs beside decoding and storage.
 */
export function createWorkerVerifier(options: WorkerVerifierOptions = {}): BatchVerifier {
  const threads = Math.max(1, options.threads ?? Math.min(4, availableParallelism()));
  const provider = options.provider ?? 'node';
  const resolveHere = createSuiteResolver(provider);
  const workers: { worker: Worker; busy: number }[] = [];
  const pending = new Map<number, Pending>();
  // Pieces not yet sent. Each worker gets the next piece as soon as it has fewer than
  // PIECES_PER_WORKER in hand, so a worker slowed down by other load takes fewer pieces instead of
  // holding everyone back (a fixed split waits for the slowest thread).
  const queue: { jobs: readonly VerifyJob[]; p: Pending }[] = [];
  let seq = 0;
  let failure: unknown;
  const pump = (): void => {
    for (const slot of workers) {
      while (slot.busy < PIECES_PER_WORKER && queue.length > 0) {
        const { jobs, p } = queue.shift()!;
        const id = ++seq;
        pending.set(id, {
          resolve: (v) => {
            slot.busy -= 1;
            p.resolve(v);
            pump();
          },
          reject: p.reject,
        });
        slot.busy += 1;
        const buf = packVerifyJobs(jobs);
        slot.worker.postMessage({ id, buf }, [buf]);
      }
    }
  };
  for (let i = 0; i < threads; i++) {
    const w = new Worker(new URL('./verifyWorker.mjs', import.meta.url), {
      workerData: { provider },
      ...(options.execArgv ? { execArgv: options.execArgv } : {}),
    });
    w.unref();
    w.on('message', (m: { id: number; verdicts: VerifyVerdict[] }) => {
      const p = pending.get(m.id);
      pending.delete(m.id);
      p?.resolve(m.verdicts);
    });
    w.on('error', (e) => {
      failure = e;
      for (const p of pending.values()) p.reject(e);
      pending.clear();
      for (const q of queue.splice(0)) q.p.reject(e);
    });
    workers.push({ worker: w, busy: 0 });
  }
  const run = (jobs: readonly VerifyJob[]): Promise<VerifyVerdict[]> =>
    new Promise((resolve, reject) => {
      if (failure) return reject(failure);
      queue.push({ jobs, p: { resolve, reject } });
      pump();
    });
  return {
    helpOne() {
      const next = queue.shift();
      if (!next) return false;
      next.p.resolve(next.jobs.map((j) => verifyJob(resolveHere, j)));
      return true;
    },
    async verifyMany(jobs) {
      if (jobs.length === 0) return [];
      const parts: Promise<VerifyVerdict[]>[] = [];
      for (let i = 0; i < jobs.length; i += PIECE_SIZE) parts.push(run(jobs.slice(i, i + PIECE_SIZE)));
      return (await Promise.all(parts)).flat();
    },
    async close() {
      await Promise.all(workers.map((w) => w.worker.terminate()));
    },
  };
}
