// MLS group operations: Weft (node and noble providers) against ts-mls 1.6.4 and a Megolm-style
// rekey, for N = 2, 32, 256, 2048, 8192. Usage: pnpm bench mls
//   MLS_BENCH_N=2,32     only these group sizes
//   MLS_BENCH_SCALE=0.5  scale every sample count (at least 1 per round)
//
// Method (see also bench/mlsFullTree.ts for how the groups are built):
// - Compared variants run interleaved in rounds at each N (Weft node, Weft noble, ts-mls, Megolm),
//   so a burst of load from other processes hits all of them alike. Figures are medians.
// - Commits are chained, as in a live group: leaf 0 creates k commits one after the other (each
//   from its previous state), then the receivers process them in order. The first operation of
//   each phase is an untimed warm-up.
// - Key caches: both providers keep imported keys in LRU caches shared by the whole process, so
//   the receiver would find the path keys the committer derived a moment before in the same
//   process. Every phase therefore starts with the caches flushed and its first (untimed) call
//   re-imports what that member really keeps warm (its own keys, the other side's signature key).
//   The add-all commit and the join run with flushed caches too: their KeyPackages and tree are new.
// - Weft's tree is full (every node non-blank). ts-mls's is what one add-all commit leaves (every
//   parent blank, so a commit encrypts to N-1 leaves); Weft is measured on that shape too, and the
//   tables name the shape of every figure.
import { createCipheriv, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { getCipherSuite, setKeyCacheCapacity } from '@weft/crypto';
import type { ProviderName } from '@weft/crypto';
import { createCommit, decryptApplicationMessage, encryptApplicationMessage, joinFromWelcome, processCommit } from '@weft/tree';
import type { GroupState, KeyPackage, KeyPackageBundle } from '@weft/tree';
import type { CiphersuiteImpl, ClientState } from 'ts-mls';
import { formatUs, printTable, summarize, timeUs, timeUsAsync } from './harness.ts';
import type { BenchRow, Timing } from './harness.ts';
import { buildAddAllWeftGroup, buildFullWeftGroup, foundGroup, makeBundles, onProvider } from './mlsFullTree.ts';
import { prepareTsMls, tsMlsAddAll, tsMlsCommit, tsMlsDecrypt, tsMlsEncrypt, tsMlsJoin, tsMlsProcess } from './tsMls.ts';
import type { TsMlsSetup } from './tsMls.ts';

type Impl = 'weft-node' | 'weft-noble' | 'ts-mls' | 'megolm';
type Shape = 'full' | 'add-all' | '-';
type Op =
  | 'commit create'
  | 'commit process (leaf 1)'
  | 'commit process (leaf N-1)'
  | 'add N-1 + Welcome'
  | 'join from Welcome'
  | 'encrypt 100 B'
  | 'decrypt 100 B'
  | 'rekey N x (X25519 + seal)';

const ALL_N = [2, 32, 256, 2048, 8192];
const TS_MLS_MAX_N = 2048;
const KEY_CACHE_CAPACITY = 1024; // the providers' default
const PAYLOAD = new Uint8Array(100).fill(0x61);

/** Sample counts per round for one N; scaled by MLS_BENCH_SCALE. */
interface Plan {
  rounds: number;
  /** Timed commits per round per Weft chain (node, noble). */
  commit: number;
  nobleCommit: number;
  /** Timed commits per round on the add-all shape (Weft node and ts-mls), 0 to skip. */
  addAllShapeCommit: number;
  tsCommit: number;
  /** Messages per round. */
  msg: number;
  tsMsg: number;
  /** Add-all commits and joins per round; 0 to skip (ts-mls: extra to the one made while building its group). */
  addAll: number;
  nobleAddAll: number;
  tsAddAll: number;
  join: number;
  nobleJoin: number;
  megolm: number;
}

const PLANS: Record<number, Plan> = {
  2: { rounds: 5, commit: 20, nobleCommit: 10, addAllShapeCommit: 10, tsCommit: 6, msg: 200, tsMsg: 30, addAll: 10, nobleAddAll: 6, tsAddAll: 4, join: 10, nobleJoin: 6, megolm: 200 },
  32: { rounds: 5, commit: 20, nobleCommit: 6, addAllShapeCommit: 6, tsCommit: 4, msg: 200, tsMsg: 30, addAll: 6, nobleAddAll: 2, tsAddAll: 2, join: 6, nobleJoin: 2, megolm: 100 },
  256: { rounds: 4, commit: 15, nobleCommit: 4, addAllShapeCommit: 3, tsCommit: 2, msg: 200, tsMsg: 20, addAll: 3, nobleAddAll: 1, tsAddAll: 0, join: 3, nobleJoin: 1, megolm: 20 },
  2048: { rounds: 3, commit: 10, nobleCommit: 3, addAllShapeCommit: 1, tsCommit: 1, msg: 150, tsMsg: 10, addAll: 2, nobleAddAll: 1, tsAddAll: 0, join: 1, nobleJoin: 1, megolm: 5 },
  8192: { rounds: 2, commit: 8, nobleCommit: 2, addAllShapeCommit: 0, tsCommit: 0, msg: 100, tsMsg: 0, addAll: 1, nobleAddAll: 0, tsAddAll: 0, join: 1, nobleJoin: 0, megolm: 2 },
};

/** Empties every provider key cache (node and noble). setKeyCacheCapacity keeps the newest entry per cache. */
function flushKeyCaches(): void {
  setKeyCacheCapacity(1);
  setKeyCacheCapacity(KEY_CACHE_CAPACITY);
}

/** Samples (us) by row key. */
class Samples {
  readonly byKey = new Map<string, { n: number; impl: Impl; shape: Shape; op: Op; us: number[]; cpuUs: number[] }>();

  /** One sample: wall time and this process's CPU time (user + system), both in us. */
  add(n: number, impl: Impl, shape: Shape, op: Op, t: Timing): void {
    const key = rowKey(n, impl, shape, op);
    let entry = this.byKey.get(key);
    if (!entry) {
      entry = { n, impl, shape, op, us: [], cpuUs: [] };
      this.byKey.set(key, entry);
    }
    entry.us.push(t.wall);
    entry.cpuUs.push(t.cpu);
  }

  cpuMedian(n: number, impl: Impl, shape: Shape, op: Op): number | null {
    const e = this.byKey.get(rowKey(n, impl, shape, op));
    return e && e.cpuUs.length > 0 ? summarize(e.cpuUs).medianUs : null;
  }

  median(n: number, impl: Impl, shape: Shape, op: Op): number | null {
    const e = this.byKey.get(rowKey(n, impl, shape, op));
    return e && e.us.length > 0 ? summarize(e.us).medianUs : null;
  }

  count(n: number, impl: Impl, shape: Shape, op: Op): number {
    return this.byKey.get(rowKey(n, impl, shape, op))?.us.length ?? 0;
  }
}

function rowKey(n: number, impl: Impl, shape: Shape, op: Op): string {
  return `${n}|${impl}|${shape}|${op}`;
}

// Wall time is what the targets are about; CPU time is printed beside it (see Timing in harness.ts).

function scaled(count: number, scale: number): number {
  return count === 0 ? 0 : Math.max(1, Math.round(count * scale));
}

function advance(state: GroupState, commit: Uint8Array): GroupState {
  const out = processCommit(state, commit);
  if (out.kind !== 'next_epoch') throw new Error('receiver removed by a benchmark commit');
  return out.state;
}

// --- Weft ---

/** Leaf 0 and its receivers, moving through epochs together. */
interface WeftChain {
  readonly impl: Impl;
  readonly shape: Shape;
  committer: GroupState;
  receiver: GroupState;
  /** Leaf N-1, or null when not measured. */
  far: GroupState | null;
}

/** k timed commits from leaf 0 (plus a warm-up), then each receiver processes them in order. */
function weftCommitPhase(n: number, chain: WeftChain, k: number, s: Samples): void {
  const commits: Uint8Array[] = [];
  for (let i = 0; i <= k; i++) {
    const [c, us] = timeUs(() => createCommit(chain.committer, { update: true }));
    if (i > 0) s.add(n, chain.impl, chain.shape, 'commit create', us);
    chain.committer = c.state;
    commits.push(c.commit);
  }
  const receive = (state: GroupState, op: Op): GroupState => {
    flushKeyCaches();
    let st = state;
    commits.forEach((commit, i) => {
      const [next, us] = timeUs(() => advance(st, commit));
      if (i > 0) s.add(n, chain.impl, chain.shape, op, us);
      st = next;
    });
    return st;
  };
  chain.receiver = receive(chain.receiver, 'commit process (leaf 1)');
  if (chain.far) chain.far = receive(chain.far, 'commit process (leaf N-1)');
  flushKeyCaches();
}

/** k application messages from leaf 0, decrypted in order by leaf 1. */
function weftMessagePhase(n: number, chain: WeftChain, k: number, s: Samples): void {
  const messages: Uint8Array[] = [];
  for (let i = 0; i <= k; i++) {
    const [e, us] = timeUs(() => encryptApplicationMessage(chain.committer, PAYLOAD));
    if (i > 0) s.add(n, chain.impl, chain.shape, 'encrypt 100 B', us);
    chain.committer = e.state;
    messages.push(e.message);
  }
  messages.forEach((m, i) => {
    const [d, us] = timeUs(() => decryptApplicationMessage(chain.receiver, m));
    if (d.plaintext.length !== PAYLOAD.length) throw new Error('decrypted the wrong payload');
    if (i > 0) s.add(n, chain.impl, chain.shape, 'decrypt 100 B', us);
    chain.receiver = d.state;
  });
}

/** The add-(N-1) commit with its Welcome from a one-member group, KeyPackages verified; then leaf 1 joins. */
interface AddAllCase {
  readonly founder: GroupState;
  readonly keyPackages: readonly KeyPackage[];
  readonly joiner: KeyPackageBundle;
}

function weftAddAllPhase(n: number, impl: Impl, c: AddAllCase, k: number, joins: number, s: Samples): void {
  let welcome: Uint8Array | null = null;
  for (let i = 0; i < k; i++) {
    flushKeyCaches();
    const [out, us] = timeUs(() => createCommit(c.founder, { add: c.keyPackages }));
    if (out.added.length !== n - 1 || !out.welcome) throw new Error('add-all commit added the wrong members');
    s.add(n, impl, 'add-all', 'add N-1 + Welcome', us);
    welcome = out.welcome;
  }
  for (let i = 0; i < joins && welcome; i++) {
    flushKeyCaches();
    const w = welcome;
    const [, us] = timeUs(() => joinFromWelcome(c.founder.cs, w, c.joiner));
    s.add(n, impl, 'add-all', 'join from Welcome', us);
  }
  flushKeyCaches();
}

// --- ts-mls ---

interface TsChain {
  readonly impl: CiphersuiteImpl;
  committer: ClientState;
  receiver: ClientState;
}

async function tsCommitPhase(n: number, chain: TsChain, k: number, warm: boolean, s: Samples): Promise<void> {
  const commits = [];
  for (let i = 0; i < k + (warm ? 1 : 0); i++) {
    const [c, us] = await timeUsAsync(() => tsMlsCommit(chain.impl, chain.committer));
    if (!warm || i > 0) s.add(n, 'ts-mls', 'add-all', 'commit create', us);
    chain.committer = c.state;
    commits.push(c.commit);
  }
  for (let i = 0; i < commits.length; i++) {
    const commit = commits[i];
    if (!commit) continue;
    const [next, us] = await timeUsAsync(() => tsMlsProcess(chain.impl, chain.receiver, commit));
    if (!warm || i > 0) s.add(n, 'ts-mls', 'add-all', 'commit process (leaf 1)', us);
    chain.receiver = next;
  }
}

async function tsMessagePhase(n: number, chain: TsChain, k: number, s: Samples): Promise<void> {
  const messages = [];
  for (let i = 0; i <= k; i++) {
    const [e, us] = await timeUsAsync(() => tsMlsEncrypt(chain.impl, chain.committer, PAYLOAD));
    if (i > 0) s.add(n, 'ts-mls', 'add-all', 'encrypt 100 B', us);
    chain.committer = e.state;
    messages.push(e.message);
  }
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (!m) continue;
    const [d, us] = await timeUsAsync(() => tsMlsDecrypt(chain.impl, chain.receiver, m));
    if (d.plaintext.length !== PAYLOAD.length) throw new Error('ts-mls decrypted the wrong payload');
    if (i > 0) s.add(n, 'ts-mls', 'add-all', 'decrypt 100 B', us);
    chain.receiver = d.state;
  }
}

async function tsAddAllPhase(n: number, setup: TsMlsSetup, k: number, s: Samples): Promise<void> {
  for (let i = 0; i < k; i++) {
    const [out, t] = await timeUsAsync(() => tsMlsAddAll(setup));
    s.add(n, 'ts-mls', 'add-all', 'add N-1 + Welcome', t);
    const [, jt] = await timeUsAsync(() => tsMlsJoin(setup, out.welcome, 1));
    s.add(n, 'ts-mls', 'add-all', 'join from Welcome', jt);
  }
}

// --- Megolm-style rekey ---

/**
 * What a Megolm sender does to rekey a room of N devices: one fresh X25519 ratchet key, then per
 * device one X25519 with that device's (already imported) identity key, HKDF-SHA256 to an AES-256
 * key and nonce, and an AES-256-GCM seal of the 128-byte Megolm ratchet state.
 */
function megolmRekey(devices: readonly KeyObject[]): number {
  const sender = generateKeyPairSync('x25519').privateKey;
  const session = randomBytes(128);
  const salt = Buffer.alloc(32);
  const info = Buffer.from('megolm rekey');
  let bytes = 0;
  for (const publicKey of devices) {
    const shared = diffieHellman({ privateKey: sender, publicKey });
    const okm = Buffer.from(hkdfSync('sha256', shared, salt, info, 44));
    const cipher = createCipheriv('aes-256-gcm', okm.subarray(0, 32), okm.subarray(32, 44));
    bytes += cipher.update(session).length + cipher.final().length + cipher.getAuthTag().length;
  }
  return bytes;
}

// --- the run ---

interface NState {
  readonly n: number;
  readonly plan: Plan;
  readonly chains: WeftChain[];
  readonly addAllShape: WeftChain | null;
  readonly addAll: { node: AddAllCase; noble: AddAllCase };
  readonly ts: { setup: TsMlsSetup; chain: TsChain } | null;
  readonly devices: KeyObject[];
}

function log(msg: string): void {
  console.log(`[mls ${new Date().toISOString().slice(11, 19)} load ${loadAverage()}] ${msg}`);
}

function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?'; // not Linux
  }
}

async function prepare(n: number, plan: Plan, samples: Samples): Promise<NState> {
  const node = getCipherSuite(1, 'node');
  let t = performance.now();
  const full = buildFullWeftGroup(n);
  log(`N=${n}: full tree built in ${((performance.now() - t) / 1000).toFixed(1)} s (leaf 0, leaf 1, leaf ${n - 1} tracked)`);
  const chains: WeftChain[] = (['node', 'noble'] as ProviderName[]).map((p) => ({
    impl: p === 'node' ? 'weft-node' : 'weft-noble',
    shape: 'full',
    committer: onProvider(full.committer, p),
    receiver: onProvider(full.receiver, p),
    far: n > 2 ? onProvider(full.far, p) : null,
  }));

  t = performance.now();
  const bundles = makeBundles(node, n);
  const founder = foundGroup(node, bundles[0] as KeyPackageBundle);
  const keyPackages = bundles.slice(1).map((b) => b.keyPackage);
  const joiner = bundles[1] as KeyPackageBundle;
  const addAll = { node: { founder, keyPackages, joiner }, noble: { founder: onProvider(founder, 'noble'), keyPackages, joiner } };
  let addAllShape: WeftChain | null = null;
  if (plan.addAllShapeCommit > 0) {
    const g = buildAddAllWeftGroup(bundles);
    addAllShape = { impl: 'weft-node', shape: 'add-all', committer: g.committer, receiver: g.receiver, far: null };
  }
  log(`N=${n}: ${n} KeyPackages and the add-all group in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  let ts: NState['ts'] = null;
  if (n <= TS_MLS_MAX_N) {
    t = performance.now();
    const setup = await prepareTsMls(n);
    // The group's own add-all commit and join are the first samples of those ops (at 2048 they
    // take about a minute together, too long to repeat).
    const [added, addT] = await timeUsAsync(() => tsMlsAddAll(setup));
    const [receiver, joinT] = await timeUsAsync(() => tsMlsJoin(setup, added.welcome, 1));
    samples.add(n, 'ts-mls', 'add-all', 'add N-1 + Welcome', addT);
    samples.add(n, 'ts-mls', 'add-all', 'join from Welcome', joinT);
    ts = { setup, chain: { impl: setup.impl, committer: added.state, receiver } };
    log(`N=${n}: ts-mls KeyPackages, add-all commit and join in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const devices = Array.from({ length: n }, () => generateKeyPairSync('x25519').publicKey);
  flushKeyCaches();
  return { n, plan, chains, addAllShape, addAll, ts, devices };
}

async function runRound(st: NState, round: number, scale: number, s: Samples): Promise<void> {
  const { n, plan } = st;
  const [nodeChain, nobleChain] = st.chains;
  if (!nodeChain || !nobleChain) throw new Error('missing chains');
  const tsWarm = n < 256; // at 256+ a ts-mls commit takes long enough that JIT warm-up is noise

  weftCommitPhase(n, nodeChain, scaled(plan.commit, scale), s);
  weftCommitPhase(n, nobleChain, scaled(plan.nobleCommit, scale), s);
  if (st.addAllShape) weftCommitPhase(n, st.addAllShape, scaled(plan.addAllShapeCommit, scale), s);
  if (st.ts && plan.tsCommit > 0) await tsCommitPhase(n, st.ts.chain, scaled(plan.tsCommit, scale), tsWarm, s);

  weftMessagePhase(n, nodeChain, scaled(plan.msg, scale), s);
  weftMessagePhase(n, nobleChain, scaled(plan.msg, scale / 2), s);
  if (st.ts && plan.tsMsg > 0) await tsMessagePhase(n, st.ts.chain, scaled(plan.tsMsg, scale), s);

  weftAddAllPhase(n, 'weft-node', st.addAll.node, scaled(plan.addAll, scale), scaled(plan.join, scale), s);
  if (plan.nobleAddAll > 0 && (round === 0 || plan.nobleAddAll > 1)) {
    weftAddAllPhase(n, 'weft-noble', st.addAll.noble, scaled(plan.nobleAddAll, scale), scaled(plan.nobleJoin, scale), s);
  }
  // One ts-mls add-all sample came from building the group; tsAddAll counts extra ones per round.
  if (st.ts && plan.tsAddAll > 0) await tsAddAllPhase(n, st.ts.setup, scaled(plan.tsAddAll, scale), s);

  for (let i = 0; i < scaled(plan.megolm, scale); i++) {
    const [, us] = timeUs(() => megolmRekey(st.devices));
    s.add(n, 'megolm', '-', 'rekey N x (X25519 + seal)', us);
  }
}

/** Runs the MLS section and returns one row per (N, implementation, shape, operation). */
export async function run(): Promise<BenchRow[]> {
  const ns = process.env['MLS_BENCH_N'] ? process.env['MLS_BENCH_N'].split(',').map(Number) : ALL_N;
  const scale = Number(process.env['MLS_BENCH_SCALE'] ?? '1');
  const s = new Samples();
  const loads: string[] = [];
  const loadByN = new Map<number, string>();
  const started = performance.now();
  log(`start; N = ${ns.join(', ')}; sample scale ${scale}`);
  for (const n of ns) {
    const plan = PLANS[n];
    if (!plan) throw new Error(`no plan for N=${n}; known: ${Object.keys(PLANS).join(', ')}`);
    const st = await prepare(n, plan, s);
    const t = performance.now();
    for (let r = 0; r < plan.rounds; r++) await runRound(st, r, scale, s);
    const load = loadAverage();
    loads.push(`N=${n}: ${load}`);
    loadByN.set(n, load);
    log(`N=${n}: ${plan.rounds} rounds in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return report(ns, s, loads, loadByN);
}

// --- reporting ---

const SHAPE_NOTE: Record<Shape, string> = { full: 'full tree', 'add-all': 'after add-all (parents blank)', '-': '-' };

function fmt(us: number | null): string {
  return us === null ? '-' : formatUs(us);
}

function ratio(a: number | null, b: number | null): string {
  return a === null || b === null ? '-' : `${(a / b).toFixed(a / b >= 100 ? 0 : 1)}x`;
}

function report(ns: readonly number[], s: Samples, loads: readonly string[], loadByN: ReadonlyMap<number, string>): BenchRow[] {
  const ops: Op[] = ['commit create', 'commit process (leaf 1)', 'commit process (leaf N-1)', 'add N-1 + Welcome', 'join from Welcome', 'encrypt 100 B', 'decrypt 100 B'];
  const m = (n: number, impl: Impl, shape: Shape, op: Op): number | null => s.median(n, impl, shape, op);
  const c = (n: number, impl: Impl, shape: Shape, op: Op): number | null => s.cpuMedian(n, impl, shape, op);
  const withCount = (n: number, impl: Impl, shape: Shape, op: Op): string => {
    const v = m(n, impl, shape, op);
    return v === null ? '-' : `${formatUs(v)} (${s.count(n, impl, shape, op)})`;
  };
  const shapeOf = (op: Op): Shape => (op === 'add N-1 + Welcome' || op === 'join from Welcome' ? 'add-all' : 'full');

  // Table 1: Weft on both providers.
  const t1: string[][] = [];
  for (const n of ns) {
    for (const op of ops) {
      const shape = shapeOf(op);
      const a = m(n, 'weft-node', shape, op);
      const b = m(n, 'weft-noble', shape, op);
      if (a === null && b === null) continue;
      t1.push([
        String(n),
        op,
        SHAPE_NOTE[shape],
        withCount(n, 'weft-node', shape, op),
        fmt(c(n, 'weft-node', shape, op)),
        withCount(n, 'weft-noble', shape, op),
        fmt(c(n, 'weft-noble', shape, op)),
        ratio(b, a),
      ]);
    }
  }
  printTable('Weft MLS, suite 1: median wall time (samples) and median CPU time', ['N', 'operation', 'tree', 'node', 'node cpu', 'noble', 'noble cpu', 'noble/node'], t1);

  // Table 2: ts-mls against Weft on the same shape and against Weft's full tree.
  const t2: string[][] = [];
  for (const n of ns) {
    for (const op of ops) {
      const ts = m(n, 'ts-mls', 'add-all', op);
      if (ts === null) continue;
      const same = m(n, 'weft-node', 'add-all', op);
      const hasFull = op !== 'add N-1 + Welcome' && op !== 'join from Welcome';
      const full = hasFull ? m(n, 'weft-node', 'full', op) : null;
      const fullCpu = hasFull ? c(n, 'weft-node', 'full', op) : null;
      t2.push([String(n), op, withCount(n, 'ts-mls', 'add-all', op), fmt(same), ratio(ts, same), fmt(full), ratio(ts, full), ratio(c(n, 'ts-mls', 'add-all', op), fullCpu)]);
    }
  }
  printTable(
    'ts-mls 1.6.4 (its tree: after one add-all commit, parents blank) vs Weft node, median wall time',
    ['N', 'operation', 'ts-mls (samples)', 'Weft, same tree', 'ts-mls/Weft same', 'Weft, full tree', 'ts-mls/Weft full', 'same, by CPU time'],
    t2,
  );

  // Table 3: Megolm-style rekey against a Weft commit.
  const t3: string[][] = [];
  for (const n of ns) {
    const mg = m(n, 'megolm', '-', 'rekey N x (X25519 + seal)');
    const wc = m(n, 'weft-node', 'full', 'commit create');
    t3.push([String(n), withCount(n, 'megolm', '-', 'rekey N x (X25519 + seal)'), fmt(wc), ratio(mg, wc), ratio(c(n, 'megolm', '-', 'rekey N x (X25519 + seal)'), c(n, 'weft-node', 'full', 'commit create'))]);
  }
  printTable('Megolm-style rekey (node:crypto) vs Weft node commit create (full tree)', ['N', 'megolm rekey (samples)', 'Weft commit create', 'megolm/Weft', 'by CPU time'], t3);

  // Targets (node provider): verdict on wall time; the CPU-time verdict shows what load did.
  const checks: string[][] = [];
  type Pair = { wall: number | null; cpu: number | null };
  const verdict = (v: number | null, limit: number, cmp: 'le' | 'ge'): string =>
    v === null ? 'n/a' : (cmp === 'le' ? v <= limit : v >= limit) ? 'PASS' : 'MISS';
  const check = (what: string, v: Pair, limit: number, show: (v: number) => string, cmp: 'le' | 'ge' = 'le'): void => {
    checks.push([what, v.wall === null ? '-' : show(v.wall), `${cmp === 'le' ? '<=' : '>='} ${show(limit)}`, verdict(v.wall, limit, cmp), v.cpu === null ? '-' : show(v.cpu), verdict(v.cpu, limit, cmp)]);
  };
  const us = (v: number): string => formatUs(v);
  const x = (v: number): string => `${v.toFixed(v >= 100 ? 0 : 2)}x`;
  const pair = (n: number, impl: Impl, shape: Shape, op: Op): Pair => ({ wall: m(n, impl, shape, op), cpu: c(n, impl, shape, op) });
  const div = (a: Pair, b: Pair): Pair => ({
    wall: a.wall === null || b.wall === null ? null : a.wall / b.wall,
    cpu: a.cpu === null || b.cpu === null ? null : a.cpu / b.cpu,
  });
  const cc = (n: number): Pair => pair(n, 'weft-node', 'full', 'commit create');
  const cp = (n: number): Pair => pair(n, 'weft-node', 'full', 'commit process (leaf 1)');
  check('N=2048 commit create (full tree)', cc(2048), 5000, us);
  check('N=2048 commit process, leaf 1 (full tree, worst case)', cp(2048), 3000, us);
  check('commit create growth N=256 -> 8192', div(cc(8192), cc(256)), 2.5, x);
  check('commit process growth N=256 -> 8192 (leaf 1)', div(cp(8192), cp(256)), 2.5, x);
  const worst = (op: Op): Pair => {
    const walls = ns.map((n) => m(n, 'weft-node', 'full', op)).filter((v): v is number => v !== null);
    const cpus = ns.map((n) => c(n, 'weft-node', 'full', op)).filter((v): v is number => v !== null);
    return { wall: walls.length > 0 ? Math.max(...walls) : null, cpu: cpus.length > 0 ? Math.max(...cpus) : null };
  };
  check(`encrypt 100 B (worst N of ${ns.join(', ')})`, worst('encrypt 100 B'), 100, us);
  check(`decrypt 100 B (worst N of ${ns.join(', ')})`, worst('decrypt 100 B'), 200, us);
  check('N=2048 add 2047 + Welcome, KeyPackages verified', pair(2048, 'weft-node', 'add-all', 'add N-1 + Welcome'), 1_200_000, us);
  check('N=2048 ts-mls/Weft commit create (ts-mls add-all tree / Weft full)', div(pair(2048, 'ts-mls', 'add-all', 'commit create'), cc(2048)), 100, x, 'ge');
  check('N=2048 ts-mls/Weft commit process (ts-mls add-all tree / Weft full)', div(pair(2048, 'ts-mls', 'add-all', 'commit process (leaf 1)'), cp(2048)), 100, x, 'ge');
  printTable('Targets (Weft node provider, medians; verdict on wall time, CPU time beside it)', ['target', 'wall', 'limit', '', 'cpu', ''], checks);
  console.log(`\nload average (1, 5, 15 min) at the end of each N: ${loads.join('; ')}`);
  const skipped: string[] = [];
  for (const n of ns) {
    const plan = PLANS[n];
    if (!plan) continue;
    if (n > TS_MLS_MAX_N) skipped.push(`ts-mls at N=${n} (not required; its add-all commit alone would take minutes)`);
    if (plan.nobleAddAll === 0) skipped.push(`noble add-all and join at N=${n} (about a minute per sample)`);
    if (plan.addAllShapeCommit === 0 && n <= TS_MLS_MAX_N) skipped.push(`Weft on the add-all shape at N=${n}`);
  }
  if (skipped.length > 0) console.log(`skipped: ${skipped.join('; ')}`);

  // Rows for bench/results/mls.json.
  const rows: BenchRow[] = [];
  for (const e of s.byKey.values()) {
    const row: BenchRow = { section: 'mls', name: e.op, params: { N: e.n, impl: e.impl, tree: SHAPE_NOTE[e.shape] }, ...summarize(e.us) };
    const extra: Record<string, number | string> = { cpuMedianUs: summarize(e.cpuUs).medianUs, loadAverage: loadByN.get(e.n) ?? '?' };
    const weftFull = m(e.n, 'weft-node', 'full', e.op);
    const weftSame = m(e.n, 'weft-node', e.shape, e.op);
    if (e.impl === 'ts-mls') {
      if (weftSame !== null) extra['tsMlsOverWeftSameTree'] = row.medianUs / weftSame;
      if (weftFull !== null) extra['tsMlsOverWeftFullTree'] = row.medianUs / weftFull;
    }
    if (e.impl === 'megolm') {
      const wc = m(e.n, 'weft-node', 'full', 'commit create');
      if (wc !== null) extra['megolmOverWeftCommitCreate'] = row.medianUs / wc;
    }
    if (e.impl === 'weft-noble' && weftSame !== null) extra['nobleOverNode'] = row.medianUs / weftSame;
    if (Object.keys(extra).length > 0) row.extra = extra;
    rows.push(row);
  }
  return rows;
}
