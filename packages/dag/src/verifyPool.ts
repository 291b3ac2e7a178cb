import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { ProviderName } from '@weft/crypto';
import type { SuiteResolver } from './event.ts';

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
  const workers: Worker[] = [];
  const pending = new Map<number, Pending>();
  let seq = 0;
  let failure: unknown;
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
    });
    workers.push(w);
  }
  const run = (w: Worker, jobs: readonly VerifyJob[]): Promise<VerifyVerdict[]> =>
    new Promise((resolve, reject) => {
      if (failure) return reject(failure);
      const id = ++seq;
      pending.set(id, { resolve, reject });
      w.postMessage({ id, jobs });
    });
  return {
    async verifyMany(jobs) {
      if (jobs.length === 0) return [];
      const per = Math.ceil(jobs.length / workers.length);
      const parts = await Promise.all(workers.map((w, i) => (i * per < jobs.length ? run(w, jobs.slice(i * per, (i + 1) * per)) : Promise.resolve([]))));
      return parts.flat();
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
