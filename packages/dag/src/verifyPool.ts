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
   * Verifies one queued signature in the calling thread, if one is waiting for a thread; false when
   * there is none. A caller about to wait for verdicts calls it instead of idling.
   */
  helpOne?(): boolean;
  /**
   * Event-loop idle and active milliseconds of each verifier thread so far, so a caller can tell
   * threads waiting for work from threads verifying (benchmarks).
   */
  threadTimes?(): ThreadTimes[];
  /** Stops any threads. */
  close(): Promise<void>;
}

/** Cumulative event-loop time of one thread, in milliseconds. */
export interface ThreadTimes {
  readonly idle: number;
  readonly active: number;
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

// A batch lives in one SharedArrayBuffer that every worker and the calling thread see, so each
// thread claims the next unverified job itself (an atomic counter) instead of waiting for the
// calling thread to hand out pieces: a calling thread busy validating or storing no longer leaves a
// worker idle. Layout: three Int32 (next job to claim, jobs done, job count), the byte offset of
// each job (Uint32), one verdict byte per job, then the jobs: suite, key, payload and signature
// lengths (u32 each, so no length can wrap whatever the event size limit), then the three byte strings.
const NEXT = 0;
const DONE = 1;
const COUNT = 2;
const HEADER_BYTES = 12;
const JOB_HEADER_BYTES = 16;
/** Verdict bytes: 0 not yet verified. */
const VALID = 1;
const INVALID = 2;
const BAD_KEY = 3;
const NO_SUITE = 4;

/** Packs jobs into one shared buffer (see the layout above). */
export function packVerifyBatch(jobs: readonly VerifyJob[]): SharedArrayBuffer {
  const n = jobs.length;
  const recordsAt = HEADER_BYTES + 5 * n;
  let size = recordsAt;
  for (const j of jobs) size += JOB_HEADER_BYTES + j.key.length + j.payload.length + j.sig.length;
  const buf = new SharedArrayBuffer(size);
  const view = new DataView(buf);
  const bytes = new Uint8Array(buf);
  const offsets = new Uint32Array(buf, HEADER_BYTES, n);
  new Int32Array(buf, 0, 3)[COUNT] = n;
  let at = recordsAt;
  jobs.forEach((j, i) => {
    offsets[i] = at;
    view.setUint32(at, j.suite);
    view.setUint32(at + 4, j.key.length);
    view.setUint32(at + 8, j.payload.length);
    view.setUint32(at + 12, j.sig.length);
    at += JOB_HEADER_BYTES;
    bytes.set(j.key, at);
    at += j.key.length;
    bytes.set(j.payload, at);
    at += j.payload.length;
    bytes.set(j.sig, at);
    at += j.sig.length;
  });
  return buf;
}

/** Job `i` of a buffer made by packVerifyBatch (its byte strings are views into the buffer). */
export function readVerifyJob(buf: SharedArrayBuffer, i: number): VerifyJob {
  const view = new DataView(buf);
  const bytes = new Uint8Array(buf);
  let at = new Uint32Array(buf, HEADER_BYTES, i + 1)[i] as number;
  const suite = view.getUint32(at);
  const k = view.getUint32(at + 4);
  const p = view.getUint32(at + 8);
  const s = view.getUint32(at + 12);
  at += JOB_HEADER_BYTES;
  return { suite, key: bytes.subarray(at, at + k), payload: bytes.subarray(at + k, at + k + p), sig: bytes.subarray(at + k + p, at + k + p + s) };
}

/** Number of jobs in a buffer made by packVerifyBatch. */
export function countVerifyJobs(buf: SharedArrayBuffer): number {
  return new Int32Array(buf, 0, 3)[COUNT] as number;
}

/**
 * Claims the next unclaimed job of a batch for the calling thread: its index, or -1 when every job
 * is claimed already.
 */
export function claimVerifyJob(buf: SharedArrayBuffer): number {
  const header = new Int32Array(buf, 0, 3);
  const i = Atomics.add(header, NEXT, 1);
  return i < (header[COUNT] as number) ? i : -1;
}

/** Records the verdict of claimed job `i`; true when it was the batch's last job to finish. */
export function settleVerifyJob(buf: SharedArrayBuffer, i: number, verdict: VerifyVerdict): boolean {
  const header = new Int32Array(buf, 0, 3);
  const n = header[COUNT] as number;
  // The verdict byte is written before the atomic increment, so a thread that sees every job done
  // (with an atomic load) sees every verdict.
  new Uint8Array(buf, HEADER_BYTES + 4 * n, n)[i] = verdict === true ? VALID : verdict === false ? INVALID : verdict === null ? NO_SUITE : BAD_KEY;
  return Atomics.add(header, DONE, 1) + 1 === n;
}

/** Verifies claimed jobs of a batch until none is left to claim; true when this thread finished the batch. */
export function runVerifyBatch(resolveSuite: SuiteResolver, buf: SharedArrayBuffer): boolean {
  let finished = false;
  for (let i = claimVerifyJob(buf); i >= 0; i = claimVerifyJob(buf)) {
    if (settleVerifyJob(buf, i, verifyJob(resolveSuite, readVerifyJob(buf, i)))) finished = true;
  }
  return finished;
}

interface OpenBatch {
  readonly id: number;
  readonly buf: SharedArrayBuffer;
  readonly jobs: readonly VerifyJob[];
  resolve(v: VerifyVerdict[]): void;
  reject(e: unknown): void;
}

/**
 * Verifies on worker threads through `@weft/crypto` (each worker resolves the suite itself), so
 * Ed25519 verification, the dominant cost of ingest, runs beside decoding and storage. Every batch
 * goes to every worker, and each thread (the calling one too, through helpOne) claims its jobs one
 * at a time, so a thread slowed down by other load simply verifies fewer of them.
 */
export function createWorkerVerifier(options: WorkerVerifierOptions = {}): BatchVerifier {
  const threads = Math.max(1, options.threads ?? Math.min(4, availableParallelism()));
  const provider = options.provider ?? 'node';
  const resolveHere = createSuiteResolver(provider);
  const workers: Worker[] = [];
  // Batches not yet finished, oldest first (the calling thread helps the oldest with jobs left).
  const open = new Map<number, OpenBatch>();
  let seq = 0;
  let failure: unknown;

  const finish = (batch: OpenBatch): void => {
    open.delete(batch.id);
    const n = batch.jobs.length;
    Atomics.load(new Int32Array(batch.buf, 0, 3), DONE); // pairs with the increment in settleVerifyJob
    const codes = new Uint8Array(batch.buf, HEADER_BYTES + 4 * n, n);
    const verdicts: VerifyVerdict[] = new Array<VerifyVerdict>(n);
    for (let i = 0; i < n; i++) {
      const c = codes[i];
      // A malformed key's reason is a string; it is recomputed here rather than shared (rare).
      verdicts[i] = c === VALID ? true : c === INVALID ? false : c === NO_SUITE ? null : verifyJob(resolveHere, batch.jobs[i] as VerifyJob);
    }
    batch.resolve(verdicts);
  };
  const fail = (e: unknown): void => {
    failure ??= e;
    for (const b of open.values()) b.reject(e);
    open.clear();
  };

  for (let i = 0; i < threads; i++) {
    const w = new Worker(new URL('./verifyWorker.mjs', import.meta.url), {
      workerData: { provider },
      ...(options.execArgv ? { execArgv: options.execArgv } : {}),
    });
    w.unref();
    w.on('message', (id: number) => {
      const batch = open.get(id);
      if (batch) finish(batch);
    });
    w.on('error', fail);
    workers.push(w);
  }
  return {
    helpOne() {
      for (const batch of open.values()) {
        const i = claimVerifyJob(batch.buf);
        if (i < 0) continue;
        if (settleVerifyJob(batch.buf, i, verifyJob(resolveHere, batch.jobs[i] as VerifyJob))) finish(batch);
        return true;
      }
      return false;
    },
    verifyMany(jobs) {
      if (jobs.length === 0) return Promise.resolve([]);
      return new Promise((resolve, reject) => {
        if (failure !== undefined) return reject(failure);
        const id = ++seq;
        const buf = packVerifyBatch(jobs);
        open.set(id, { id, buf, jobs, resolve, reject });
        for (const w of workers) w.postMessage({ id, buf });
      });
    },
    threadTimes() {
      return workers.map((w) => {
        const { idle, active } = w.performance.eventLoopUtilization();
        return { idle, active };
      });
    },
    async close() {
      fail(new Error('the worker verifier was closed'));
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
