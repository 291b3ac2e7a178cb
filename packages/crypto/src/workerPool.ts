// Large batches of independent curve operations on several threads, for the node provider.
//
// Why: a commit adding N members verifies 2N signatures (each KeyPackage and its LeafNode) and
// seals N HPKE ciphertexts (two X25519 scalar multiplications each). One OpenSSL Ed25519 verify
// costs 150-250 us on the 2-core target machine, so at N = 2048 these take well over a second of
// one thread. The CipherSuite API is synchronous, so a batch is spread over worker threads that
// run the same node:crypto calls as the provider, while the calling thread takes its own share and
// then blocks in Atomics.wait until the workers are done. Every thread claims the next job from a
// shared counter, so a worker that is slow to start simply does less, and a batch never depends on
// a worker finishing: one that stalls is given up on and its jobs are done by the caller.
//
// Jobs travel in SharedArrayBuffers (no copy per worker): a table of input offsets, the input
// bytes, a fixed-size output slot per job and a status byte per job (0 = not done, 1 = done,
// 2 = failed: the caller redoes that job itself, which throws the provider's usual error).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** What a batch computes; the inputs and output of each kind are listed in WORKER_SOURCE. */
export type JobKind = 'verify-ed25519' | 'verify-p256' | 'encap-x25519' | 'encap-p256' | 'public-x25519' | 'public-p256';

// Below this many jobs (by default) the threads are not worth the hand-over (about 0.1 ms).
const MIN_PARALLEL_JOBS = 32;
// A worker that makes no progress for this long is given up on; the caller finishes its jobs.
const STALL_TIMEOUT_MS = 2000;

// Control words of a batch.
const NEXT = 0; // next job index to claim
const DONE = 1; // jobs finished
const WORDS = 2;
// Input slots per job in the offset table (offset, length pairs).
const MAX_INPUTS = 3;

// The worker: plain CommonJS over node:crypto (no TypeScript loader needed). Keys are imported as
// JWK exactly as nodeProvider.ts does.
//   verify-*:      inputs [publicKey, message, signature]; output 1 byte, 1 = valid, 0 = not
//                  (a key OpenSSL refuses is an invalid signature, as in the provider's verify).
//   encap-x25519:  inputs [ephemeral private key, recipient public key]; output enc (32) || DH (32).
//   encap-p256:    the same with P-256: enc (65, uncompressed) || DH (32).
//   public-x25519: inputs [private key]; output its public key (32).
//   public-p256:   inputs [private key]; output its uncompressed public key (65).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createECDH, createPrivateKey, createPublicKey, diffieHellman, verify } = require('node:crypto');
const b64 = (u) => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64url');
const ops = {
  'verify-ed25519': (i, out) => {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64(i[0]) }, format: 'jwk' });
    let ok = false;
    try { ok = verify(null, i[1], key, i[2]); } catch { ok = false; }
    out[0] = ok ? 1 : 0;
  },
  'verify-p256': (i, out) => {
    const pk = i[0];
    const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64(pk.subarray(1, 33)), y: b64(pk.subarray(33)) }, format: 'jwk' });
    let ok = false;
    try { ok = verify('sha256', i[1], key, i[2]); } catch { ok = false; }
    out[0] = ok ? 1 : 0;
  },
  'encap-x25519': (i, out) => {
    const sk = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64(i[0]), x: '' }, format: 'jwk' });
    const enc = Buffer.from(createPublicKey(sk).export({ format: 'jwk' }).x, 'base64url');
    const pk = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64(i[1]) }, format: 'jwk' });
    out.set(enc, 0);
    out.set(diffieHellman({ privateKey: sk, publicKey: pk }), 32);
  },
  'public-x25519': (i, out) => {
    const sk = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64(i[0]), x: '' }, format: 'jwk' });
    out.set(Buffer.from(createPublicKey(sk).export({ format: 'jwk' }).x, 'base64url'), 0);
  },
  'public-p256': (i, out) => {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(i[0]);
    out.set(ecdh.getPublicKey(), 0);
  },
  'encap-p256': (i, out) => {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(i[0]);
    out.set(ecdh.getPublicKey(), 0);
    out.set(ecdh.computeSecret(i[1]), 65);
  },
};
parentPort.on('message', (m) => {
  const ctl = new Int32Array(m.control);
  const table = new Int32Array(m.table);
  const bytes = new Uint8Array(m.bytes);
  const output = new Uint8Array(m.output);
  const status = new Uint8Array(m.status);
  const op = ops[m.kind];
  for (;;) {
    const j = Atomics.add(ctl, ${NEXT}, 1);
    if (j >= m.count) break;
    const inputs = [];
    for (let k = 0; k < m.inputs; k++) {
      const o = ${2 * MAX_INPUTS} * j + 2 * k;
      inputs.push(bytes.subarray(table[o], table[o] + table[o + 1]));
    }
    try {
      op(inputs, output.subarray(j * m.outputLength, (j + 1) * m.outputLength));
      status[j] = 1;
    } catch {
      status[j] = 2;
    }
    if (Atomics.add(ctl, ${DONE}, 1) + 1 === m.count) Atomics.notify(ctl, ${DONE});
  }
});
`;

let workers: Worker[] | null = null;
let poolBroken = false;

/** Number of helper threads: one fewer than the cores (the caller is the last one), at most 3. */
function helperCount(): number {
  return Math.min(3, Math.max(0, availableParallelism() - 1));
}

function startWorkers(): Worker[] {
  if (workers !== null) return workers;
  const started: Worker[] = [];
  try {
    for (let i = 0; i < helperCount(); i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], stdout: false, stderr: false });
      // Idle helpers must never keep the process alive, and a dead one is not used again.
      w.unref();
      w.on('error', () => {
        poolBroken = true;
      });
      w.on('exit', () => {
        poolBroken = true;
      });
      started.push(w);
    }
  } catch {
    poolBroken = true;
  }
  workers = started;
  return started;
}

/** Stops the helper threads (tests, orderly shutdown); the next large batch starts them again. */
export async function stopCryptoWorkers(): Promise<void> {
  const ws = workers ?? [];
  workers = null;
  await Promise.all(ws.map((w) => w.terminate()));
  poolBroken = false;
}

/** A batch handed to the helpers; `finish` does what is left on the calling thread and returns every output. */
export interface ParallelRun {
  finish(): Uint8Array[];
}

/**
 * Runs `count` jobs of `kind`, job j reading `inputsOf(j)` (at most three byte strings) and writing
 * `outputLength` bytes. `runHere(j, out)` is the calling thread's implementation of the same job
 * (it may throw; the error propagates). Large batches are shared with the helper threads; a job a
 * helper could not do is redone by `runHere`, so every error is the caller's own. Returns the
 * outputs, job by job. Batches smaller than `minJobs` stay on the calling thread.
 */
export function runInParallel(
  kind: JobKind,
  count: number,
  inputsOf: (j: number) => readonly Uint8Array[],
  outputLength: number,
  runHere: (j: number, out: Uint8Array) => void,
  minJobs = MIN_PARALLEL_JOBS,
): Uint8Array[] {
  return startInParallel(kind, count, inputsOf, outputLength, runHere, Math.max(2, minJobs)).finish();
}

/**
 * runInParallel in two halves: the jobs are handed to the helpers now (when there are at least
 * `minJobs`), so the caller can do other work meanwhile; `finish()` then takes the jobs no helper
 * has claimed yet, waits for the others and returns every output (or throws, as runInParallel).
 */
export function startInParallel(
  kind: JobKind,
  count: number,
  inputsOf: (j: number) => readonly Uint8Array[],
  outputLength: number,
  runHere: (j: number, out: Uint8Array) => void,
  minJobs = MIN_PARALLEL_JOBS,
): ParallelRun {
  const helpers = count >= Math.max(1, minJobs) && !poolBroken ? startWorkers() : [];
  if (helpers.length === 0) {
    return {
      finish: () =>
        Array.from({ length: count }, (_, j) => {
          const out = new Uint8Array(outputLength);
          runHere(j, out);
          return out;
        }),
    };
  }

  const inputs = Array.from({ length: count }, (_, j) => inputsOf(j));
  const arity = inputs[0]?.length ?? 0;
  let total = 0;
  for (const parts of inputs) {
    if (parts.length !== arity || arity > MAX_INPUTS) throw new Error('runInParallel: every job needs the same number (at most 3) of inputs');
    for (const part of parts) total += part.length;
  }
  const control = new SharedArrayBuffer(4 * WORDS);
  const table = new SharedArrayBuffer(4 * 2 * MAX_INPUTS * count);
  const bytes = new SharedArrayBuffer(total);
  const output = new SharedArrayBuffer(outputLength * count);
  const status = new SharedArrayBuffer(count);
  const t = new Int32Array(table);
  const b = new Uint8Array(bytes);
  let off = 0;
  inputs.forEach((parts, j) => {
    parts.forEach((part, k) => {
      b.set(part, off);
      t[2 * MAX_INPUTS * j + 2 * k] = off;
      t[2 * MAX_INPUTS * j + 2 * k + 1] = part.length;
      off += part.length;
    });
  });
  const ctl = new Int32Array(control);
  const out = new Uint8Array(output);
  const st = new Uint8Array(status);
  const message = { kind, count, inputs: arity, outputLength, control, table, bytes, output, status };
  for (const w of helpers) w.postMessage(message);
  const slot = (j: number): Uint8Array => out.subarray(j * outputLength, (j + 1) * outputLength);

  return {
    finish: (): Uint8Array[] => {
      // Our share: claim jobs like any helper. A job that throws here is finished as failed, so
      // the helpers are not left waiting, and redone (to throw) in order below.
      for (;;) {
        const j = Atomics.add(ctl, NEXT, 1);
        if (j >= count) break;
        try {
          runHere(j, slot(j));
          st[j] = 1;
        } catch {
          st[j] = 2;
        }
        Atomics.add(ctl, DONE, 1);
      }
      // Wait for the jobs the helpers claimed; give up on a helper that stalls and redo its jobs here.
      let done = Atomics.load(ctl, DONE);
      while (done < count) {
        const before = done;
        Atomics.wait(ctl, DONE, done, STALL_TIMEOUT_MS);
        done = Atomics.load(ctl, DONE);
        if (done === before) {
          poolBroken = true;
          break;
        }
      }
      // Copied out of shared memory: a stalled helper may still write into it later.
      return Array.from({ length: count }, (_, j) => {
        if (st[j] === 1) return slot(j).slice();
        const mine = new Uint8Array(outputLength);
        runHere(j, mine);
        return mine;
      });
    },
  };
}
