// The four per-operation targets of issue 3 (commit create, commit process, encrypt and decrypt of
// a 100-byte application message) on a full tree, each next to its crypto floor measured in the
// same run. Usage (standalone, not a `pnpm bench` section):
//   nice -n 10 npx tsx bench/mlsOps.ts
//   MLS_OPS_N=2048        group size (a power of two; default 2048)
//   MLS_OPS_ROUNDS=4      rounds (default 4); each round: commits, then messages, then primitives
//   MLS_OPS_COMMITS=8     timed commits per round (default 8)
//   MLS_OPS_MESSAGES=150  timed messages per round (default 150)
//   MLS_OPS_PROFILE=encrypt|decrypt|create|process  skip the report; loop that op for a CPU profile
//
// Method. Each op is timed as in bench/mls.ts (chained commits from leaf 0 processed in order by
// leaf 1, key caches flushed before each receiving phase and the first call untimed). Figures are
// medians of wall time and of this process's CPU time.
//
// The floor of an op is what its primitive calls cost as bare node:crypto calls. One extra pass of
// each op runs on an instrumented copy of the node provider that counts every primitive call (and
// every key the provider has to import because it has not seen it since the caches were flushed);
// the counts are multiplied by the per-call medians of the bare calls, measured in every round of
// the same run on keys already imported as KeyObjects (imports are priced as their own rows). The
// instrumented pass also sums the time spent inside the provider's primitives, so the report splits
// an op into floor, provider overhead (cache lookups, wrapping, copies) and our own code.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { getCipherSuite, setKeyCacheCapacity } from '@weft/crypto';
import type { CipherSuite, SignatureCheck } from '@weft/crypto';
import { createCommit, decryptApplicationMessage, encryptApplicationMessage, processCommit } from '@weft/tree';
import type { GroupState } from '@weft/tree';
import { createNodePrimitives } from '../packages/crypto/src/nodeProvider.ts';
import type { EncapPair, Primitives } from '../packages/crypto/src/primitives.ts';
import { assembleSuite } from '../packages/crypto/src/suite.ts';
import { SUITE_PARAMS } from '../packages/crypto/src/suites.ts';
import { formatUs, printTable, summarize, timeUs } from './harness.ts';
import type { Timing } from './harness.ts';
import { buildFullWeftGroup } from './mlsFullTree.ts';

type OpName = 'commit create' | 'commit process (leaf 1)' | 'encrypt 100 B' | 'decrypt 100 B';
const OPS: readonly OpName[] = ['commit create', 'commit process (leaf 1)', 'encrypt 100 B', 'decrypt 100 B'];
const TARGET_US: Record<OpName, number> = { 'commit create': 5000, 'commit process (leaf 1)': 3000, 'encrypt 100 B': 100, 'decrypt 100 B': 200 };

/** Bare primitive calls the floor is priced in. */
type Prim =
  | 'ed25519 sign'
  | 'ed25519 verify'
  | 'hmac-sha256 block'
  | 'sha-256'
  | 'aes-128-gcm seal'
  | 'aes-128-gcm open'
  | 'x25519 dh'
  | 'x25519 private import + public'
  | 'x25519 public import'
  | 'ed25519 public import'
  | 'ed25519 private import + public';
const PRIMS: readonly Prim[] = [
  'ed25519 sign',
  'ed25519 verify',
  'hmac-sha256 block',
  'sha-256',
  'aes-128-gcm seal',
  'aes-128-gcm open',
  'x25519 dh',
  'x25519 private import + public',
  'x25519 public import',
  'ed25519 public import',
  'ed25519 private import + public',
];

const PAYLOAD = new Uint8Array(100).fill(0x61);
const KEY_CACHE_CAPACITY = 1024;

function env(name: string, fallback: number): number {
  const v = process.env[name];
  return v === undefined ? fallback : Number(v);
}


class Series {
  readonly wall: number[] = [];
  readonly cpu: number[] = [];
  add(t: Timing): void {
    this.wall.push(t.wall);
    this.cpu.push(t.cpu);
  }
  medianWall(): number {
    return summarize(this.wall).medianUs;
  }
  medianCpu(): number {
    return summarize(this.cpu).medianUs;
  }
}

// --- instrumented provider ---

const b64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** Primitive call counts of one op and the time spent inside the provider's primitives. */
class Tally {
  readonly counts = new Map<Prim, number>();
  insideUs = 0;
  bump(p: Prim, k = 1): void {
    this.counts.set(p, (this.counts.get(p) ?? 0) + k);
  }
}

/**
 * The node provider's primitives wrapped to count bare primitive calls into `tally()`. Keys seen
 * since the last `forget()` count as imported (the provider's caches are flushed at the same time).
 */
function instrument(p: Primitives, tally: () => Tally): { prims: Primitives; forget(): void } {
  const seen = { xPriv: new Set<string>(), xPub: new Set<string>(), edPriv: new Set<string>(), edPub: new Set<string>() };
  const first = (set: Set<string>, key: Uint8Array): boolean => {
    const h = hexOf(key);
    if (set.has(h)) return false;
    set.add(h);
    return true;
  };
  const hmacBlocks = (length: number): number => Math.ceil(length / p.params.Nh);
  const timed = <A extends unknown[], R>(f: (...a: A) => R, count: (...a: A) => void): ((...a: A) => R) => {
    return (...a: A): R => {
      count(...a);
      const t0 = performance.now();
      try {
        return f(...a);
      } finally {
        tally().insideUs += (performance.now() - t0) * 1000;
      }
    };
  };
  const xPrivate = (sk: Uint8Array): void => {
    if (first(seen.xPriv, sk)) tally().bump('x25519 private import + public');
  };
  const verifyCount = (pk: Uint8Array): void => {
    tally().bump('ed25519 verify');
    if (first(seen.edPub, pk)) tally().bump('ed25519 public import');
  };
  const prims: Primitives = {
    params: p.params,
    hash: timed(p.hash, () => tally().bump('sha-256')),
    hmac: timed(p.hmac, () => tally().bump('hmac-sha256 block')),
    kdfExtract: timed(p.kdfExtract, () => tally().bump('hmac-sha256 block')),
    kdfExpand: timed(p.kdfExpand, (_prk, _info, length) => tally().bump('hmac-sha256 block', hmacBlocks(length))),
    aeadSeal: timed(p.aeadSeal, () => tally().bump('aes-128-gcm seal')),
    aeadOpen: timed(p.aeadOpen, () => tally().bump('aes-128-gcm open')),
    kemPublicKey: timed(p.kemPublicKey, xPrivate),
    kemPublicKeyBatch: timed(p.kemPublicKeyBatch, (sks) => sks.forEach(xPrivate)),
    dh: timed(p.dh, (sk) => {
      xPrivate(sk);
      tally().bump('x25519 public import'); // the peer key is one-off, never cached
      tally().bump('x25519 dh');
    }),
    encapDh: timed(p.encapDh, (_skE, pkR) => {
      tally().bump('x25519 private import + public'); // ephemeral
      if (first(seen.xPub, pkR)) tally().bump('x25519 public import');
      tally().bump('x25519 dh');
    }),
    encapDhBatch: timed(p.encapDhBatch, (pairs: readonly EncapPair[]) => {
      for (const pair of pairs) {
        tally().bump('x25519 private import + public');
        if (first(seen.xPub, pair.recipientPublicKey)) tally().bump('x25519 public import');
        tally().bump('x25519 dh');
      }
    }),
    signaturePublicKey: timed(p.signaturePublicKey, (sk) => {
      if (first(seen.edPriv, sk)) tally().bump('ed25519 private import + public');
    }),
    sign: timed(p.sign, (sk) => {
      if (first(seen.edPriv, sk)) tally().bump('ed25519 private import + public');
      tally().bump('ed25519 sign');
    }),
    verify: timed(p.verify, (pk) => verifyCount(pk)),
    verifyBatch: timed(p.verifyBatch, (checks: readonly SignatureCheck[]) => checks.forEach((c) => verifyCount(c.publicKey))),
    startVerifyBatch: (checks: readonly SignatureCheck[]) => {
      checks.forEach((c) => verifyCount(c.publicKey));
      const t0 = performance.now();
      const pending = p.startVerifyBatch(checks);
      tally().insideUs += (performance.now() - t0) * 1000;
      return {
        finish: (): boolean[] => {
          const t1 = performance.now();
          try {
            return pending.finish();
          } finally {
            tally().insideUs += (performance.now() - t1) * 1000;
          }
        },
      };
    },
    randomBytes: p.randomBytes,
  };
  return {
    prims,
    forget(): void {
      for (const s of Object.values(seen)) s.clear();
    },
  };
}

// --- bare primitive costs ---

interface BareKit {
  run(prim: Prim): void;
}

/** Bare node:crypto calls on pre-imported keys, one function per priced primitive. */
function makeBareKit(): BareKit {
  const edSeed = new Uint8Array(randomBytes(32));
  const edSk = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64(edSeed), x: '' }, format: 'jwk' });
  const edPk = createPublicKey(edSk);
  const edPub = new Uint8Array(Buffer.from(edPk.export({ format: 'jwk' }).x as string, 'base64url'));
  // A FramedContentTBS of an application message is about 300 bytes at N=2048 (GroupContext included).
  const signed = new Uint8Array(randomBytes(300));
  const signature = nodeSign(null, signed, edSk);
  const xSeed = new Uint8Array(randomBytes(32));
  const xSk = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64(xSeed), x: '' }, format: 'jwk' });
  const xPub = new Uint8Array(Buffer.from(createPublicKey(xSk).export({ format: 'jwk' }).x as string, 'base64url'));
  const xPk = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64(xPub) }, format: 'jwk' });
  const hmacKey = new Uint8Array(randomBytes(32));
  const hmacData = new Uint8Array(randomBytes(40)); // a KDFLabel with a short context
  const hashData = new Uint8Array(randomBytes(100));
  const aesKey = new Uint8Array(randomBytes(16));
  const nonce = new Uint8Array(randomBytes(12));
  const aad = new Uint8Array(randomBytes(20));
  const plaintext = new Uint8Array(randomBytes(170)); // PrivateMessageContent: 100 B + 64 B signature + lengths
  const c = createCipheriv('aes-128-gcm', aesKey, nonce, { authTagLength: 16 });
  c.setAAD(aad, { plaintextLength: plaintext.length });
  const sealed = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
  const body = sealed.subarray(0, sealed.length - 16);
  const tag = sealed.subarray(sealed.length - 16);
  const fns: Record<Prim, () => unknown> = {
    'ed25519 sign': () => nodeSign(null, signed, edSk),
    'ed25519 verify': () => {
      if (!nodeVerify(null, signed, edPk, signature)) throw new Error('bare verify failed');
    },
    'hmac-sha256 block': () => createHmac('sha256', hmacKey).update(hmacData).digest(),
    'sha-256': () => createHash('sha256').update(hashData).digest(),
    'aes-128-gcm seal': () => {
      const e = createCipheriv('aes-128-gcm', aesKey, nonce, { authTagLength: 16 });
      e.setAAD(aad, { plaintextLength: plaintext.length });
      e.update(plaintext);
      e.final();
      return e.getAuthTag();
    },
    'aes-128-gcm open': () => {
      const d = createDecipheriv('aes-128-gcm', aesKey, nonce, { authTagLength: 16 });
      d.setAuthTag(tag);
      d.setAAD(aad, { plaintextLength: body.length });
      d.update(body);
      return d.final();
    },
    'x25519 dh': () => diffieHellman({ privateKey: xSk, publicKey: xPk }),
    'x25519 private import + public': () => {
      const k = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64(xSeed), x: '' }, format: 'jwk' });
      return createPublicKey(k).export({ format: 'jwk' }).x;
    },
    'x25519 public import': () => createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64(xPub) }, format: 'jwk' }),
    'ed25519 public import': () => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64(edPub) }, format: 'jwk' }),
    'ed25519 private import + public': () => {
      const k = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64(edSeed), x: '' }, format: 'jwk' });
      return createPublicKey(k).export({ format: 'jwk' }).x;
    },
  };
  return { run: (prim) => void fns[prim]() };
}

// --- the ops ---

interface Chain {
  committer: GroupState;
  receiver: GroupState;
}

function flushKeyCaches(): void {
  setKeyCacheCapacity(1);
  setKeyCacheCapacity(KEY_CACHE_CAPACITY);
}

function advance(state: GroupState, commit: Uint8Array): GroupState {
  const out = processCommit(state, commit);
  if (out.kind !== 'next_epoch') throw new Error('receiver removed by a benchmark commit');
  return out.state;
}

/** k timed commits from the committer (plus a warm-up), then the receiver processes them (caches flushed, first untimed). */
function commitPhase(chain: Chain, k: number, create: Series | null, process: Series | null, onFlush: () => void = () => {}): void {
  const commits: Uint8Array[] = [];
  for (let i = 0; i <= k; i++) {
    const [c, t] = timeUs(() => createCommit(chain.committer, { update: true }));
    if (i > 0) create?.add(t);
    chain.committer = c.state;
    commits.push(c.commit);
  }
  flushKeyCaches();
  onFlush();
  commits.forEach((commit, i) => {
    const [next, t] = timeUs(() => advance(chain.receiver, commit));
    if (i > 0) process?.add(t);
    chain.receiver = next;
  });
  flushKeyCaches();
  onFlush();
}

/** k messages from the committer (plus a warm-up), decrypted in order by the receiver. */
function messagePhase(chain: Chain, k: number, enc: Series | null, dec: Series | null): void {
  const messages: Uint8Array[] = [];
  for (let i = 0; i <= k; i++) {
    const [e, t] = timeUs(() => encryptApplicationMessage(chain.committer, PAYLOAD));
    if (i > 0) enc?.add(t);
    chain.committer = e.state;
    messages.push(e.message);
  }
  messages.forEach((m, i) => {
    const [d, t] = timeUs(() => decryptApplicationMessage(chain.receiver, m));
    if (d.plaintext.length !== PAYLOAD.length) throw new Error('decrypted the wrong payload');
    if (i > 0) dec?.add(t);
    chain.receiver = d.state;
  });
}

function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}

function log(msg: string): void {
  console.log(`[mlsOps ${new Date().toISOString().slice(11, 19)} load ${loadAverage()}] ${msg}`);
}

/** Instrumented passes: per-op primitive counts (per call) and time inside the provider. */
function instrumentedPass(chain: Chain, commits: number, messages: number): Map<OpName, { counts: Map<Prim, number>; insideUs: number; opUs: number }> {
  let current = new Tally();
  const { prims, forget } = instrument(createNodePrimitives(SUITE_PARAMS[1]), () => current);
  const cs: CipherSuite = assembleSuite(prims, 'node');
  const plain = chain.committer.cs;
  const on = (s: GroupState): GroupState => ({ ...s, cs });
  const off = (s: GroupState): GroupState => ({ ...s, cs: plain });
  const result = new Map<OpName, { counts: Map<Prim, number>; insideUs: number; opUs: number }>();
  const run = (op: OpName, reps: number, f: () => void): void => {
    const tallies: Tally[] = [];
    let opUs = 0;
    for (let i = 0; i < reps; i++) {
      current = new Tally();
      const t0 = performance.now();
      f();
      opUs += (performance.now() - t0) * 1000;
      tallies.push(current);
    }
    current = new Tally();
    const counts = new Map<Prim, number>();
    for (const t of tallies) for (const [p, n] of t.counts) counts.set(p, (counts.get(p) ?? 0) + n / reps);
    result.set(op, { counts, insideUs: tallies.reduce((a, t) => a + t.insideUs, 0) / reps, opUs: opUs / reps });
  };

  // Commits: created on the instrumented suite, processed after a cache flush (the first untimed).
  let committer = on(chain.committer);
  let receiver = on(chain.receiver);
  const made: Uint8Array[] = [];
  createCommit(committer, { update: true }); // warm-up, result dropped
  run('commit create', commits, () => {
    const c = createCommit(committer, { update: true });
    committer = c.state;
    made.push(c.commit);
  });
  flushKeyCaches();
  forget();
  receiver = advance(receiver, made[0] as Uint8Array);
  let next = 1;
  run('commit process (leaf 1)', commits - 1, () => {
    receiver = advance(receiver, made[next++] as Uint8Array);
  });
  flushKeyCaches();
  forget();
  const sent: Uint8Array[] = [];
  encryptApplicationMessage(committer, PAYLOAD);
  run('encrypt 100 B', messages, () => {
    const e = encryptApplicationMessage(committer, PAYLOAD);
    committer = e.state;
    sent.push(e.message);
  });
  receiver = decryptApplicationMessage(receiver, sent[0] as Uint8Array).state;
  next = 1;
  run('decrypt 100 B', messages - 1, () => {
    receiver = decryptApplicationMessage(receiver, sent[next++] as Uint8Array).state;
  });
  chain.committer = off(committer);
  chain.receiver = off(receiver);
  return result;
}

function profileLoop(chain: Chain, op: string): void {
  const seconds = env('MLS_OPS_PROFILE_SECONDS', 20);
  const end = performance.now() + seconds * 1000;
  let calls = 0;
  log(`profiling ${op} for ${seconds} s`);
  while (performance.now() < end) {
    if (op === 'create' || op === 'process') {
      const k = 8;
      commitPhase(chain, k, null, null);
      calls += k;
      // Keep the profile about one op: the other side of the chain is still run, so subtract it by hand.
    } else if (op === 'encrypt' || op === 'decrypt') {
      messagePhase(chain, 200, null, null);
      calls += 200;
    } else {
      throw new Error(`MLS_OPS_PROFILE must be create, process, encrypt or decrypt, not ${op}`);
    }
  }
  log(`profiled ${calls} calls of ${op} (and its other side)`);
}

async function main(): Promise<void> {
  const n = env('MLS_OPS_N', 2048);
  const rounds = env('MLS_OPS_ROUNDS', 4);
  const commitsPerRound = env('MLS_OPS_COMMITS', 8);
  const messagesPerRound = env('MLS_OPS_MESSAGES', 150);
  const node = getCipherSuite(1, 'node');
  log(`N=${n}: building the full tree`);
  const built = buildFullWeftGroup(n);
  log(`N=${n}: built in ${(built.buildMs / 1000).toFixed(1)} s`);
  const chain: Chain = { committer: { ...built.committer, cs: node }, receiver: { ...built.receiver, cs: node } };
  flushKeyCaches();

  const profile = process.env['MLS_OPS_PROFILE'];
  if (profile !== undefined) {
    profileLoop(chain, profile);
    return;
  }

  const series = new Map<OpName, Series>(OPS.map((o) => [o, new Series()]));
  const bare = new Map<Prim, Series>(PRIMS.map((p) => [p, new Series()]));
  const kit = makeBareKit();
  const get = <K, V>(m: Map<K, V>, k: K): V => m.get(k) as V;
  for (let r = 0; r < rounds; r++) {
    commitPhase(chain, commitsPerRound, get(series, 'commit create'), get(series, 'commit process (leaf 1)'));
    messagePhase(chain, messagesPerRound, get(series, 'encrypt 100 B'), get(series, 'decrypt 100 B'));
    for (const p of PRIMS) {
      const s = get(bare, p);
      for (let i = 0; i < 5; i++) kit.run(p); // warm-up
      const reps = p.startsWith('ed25519 verify') || p.startsWith('ed25519 sign') ? 40 : 150;
      // Per-call figures from short batches: single calls of a few us are below the timer's resolution.
      for (let i = 0; i < reps / 10; i++) {
        const [, t] = timeUs(() => {
          for (let j = 0; j < 10; j++) kit.run(p);
        });
        s.add({ wall: t.wall / 10, cpu: t.cpu / 10 });
      }
    }
    log(`round ${r + 1}/${rounds} done`);
  }
  const counted = instrumentedPass(chain, Math.max(3, commitsPerRound), Math.max(20, messagesPerRound));

  printTable(
    `Bare node:crypto primitives (keys pre-imported), per call; ${rounds} rounds`,
    ['primitive', 'wall', 'cpu'],
    PRIMS.map((p) => [p, formatUs(get(bare, p).medianWall()), formatUs(get(bare, p).medianCpu())]),
  );

  const rows: string[][] = [];
  const breakdown: string[][] = [];
  for (const op of OPS) {
    const s = get(series, op);
    const c = get(counted, op);
    let floorWall = 0;
    let floorCpu = 0;
    const parts: string[] = [];
    for (const p of PRIMS) {
      const k = c.counts.get(p) ?? 0;
      if (k === 0) continue;
      const w = k * get(bare, p).medianWall();
      floorWall += w;
      floorCpu += k * get(bare, p).medianCpu();
      parts.push(`${p} x${Number.isInteger(k) ? k : k.toFixed(2)} = ${formatUs(w)}`);
    }
    const wall = s.medianWall();
    rows.push([
      op,
      `${formatUs(wall)} (${s.wall.length})`,
      formatUs(s.medianCpu()),
      formatUs(floorWall),
      formatUs(floorCpu),
      `${(wall / floorWall).toFixed(2)}x`,
      formatUs(TARGET_US[op]),
      wall <= TARGET_US[op] ? 'PASS' : 'MISS',
    ]);
    breakdown.push([op, formatUs(c.opUs), formatUs(c.insideUs), formatUs(c.opUs - c.insideUs), parts.join('; ')]);
  }
  printTable(
    `N=${n} full tree, node provider: median op time vs its floor (sum of its bare primitive calls, same run)`,
    ['op', 'wall (samples)', 'cpu', 'floor wall', 'floor cpu', 'wall/floor', 'target', ''],
    rows,
  );
  printTable(
    'Instrumented pass (one run per call, timer overhead included): time inside the provider vs outside, and the primitive calls per op',
    ['op', 'op', 'in provider', 'outside', 'primitive calls per op (x wall median)'],
    breakdown,
  );
  console.log(`\nload average at the end: ${loadAverage()}`);
}

await main();
process.exit(0);
