import { getCipherSuite } from '@weft/crypto';
import type { CipherSuiteId, ProviderName, RandomSource } from '@weft/crypto';
import type { CID } from 'multiformats/cid';
import { compareBytes } from '@weft/codec';
import { buildEvent } from './builder.ts';
import type { EventSigner } from './builder.ts';
import type { CheckedEvent, EventKind } from './event.ts';
import { MAX_PARENTS } from './event.ts';

/** Parameters of a synthetic DAG. */
export interface GenerateOptions {
  /** Total events, geneses included (at least one per group). */
  readonly events: number;
  readonly groups?: number;
  /** Probability that a commit is made concurrently with a sibling on the same base (a fork). */
  readonly forkRate?: number;
  /** Seed of the deterministic generator; the same options give byte-identical events. */
  readonly seed?: number;
  readonly suite?: CipherSuiteId;
  readonly provider?: ProviderName;
  /** Devices per group that author events. */
  readonly members?: number;
}

/** Deterministic 32-bit PRNG (mulberry32); enough for synthetic data, never for keys of real groups. */
export function createSeededRandom(seed: number): { next(): number; bytes: RandomSource } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const bytes = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
    return out;
  };
  return { next, bytes };
}

interface GroupState {
  genesis: CID;
  heads: CID[];
  base: CID;
  loser?: CID;
  signers: EventSigner[];
}

/**
 * Yields a valid signed synthetic DAG in topological order: per group a genesis, then proposals,
 * commits (some forked: two commits on one base), rebase commits listing the loser in `resolves`,
 * welcomes and messages. Bodies are random bytes standing in for RFC 9420 wire bytes.
 */
export function* generateDag(options: GenerateOptions): Generator<CheckedEvent> {
  const groups = Math.max(1, options.groups ?? 1);
  const forkRate = options.forkRate ?? 0.05;
  const rng = createSeededRandom(options.seed ?? 1);
  const suite = getCipherSuite(options.suite ?? 1, options.provider ?? 'node', { random: rng.bytes });
  const members = Math.max(1, options.members ?? 4);
  const states: GroupState[] = [];
  let produced = 0;
  const body = (): Uint8Array => rng.bytes(64 + Math.floor(rng.next() * 192));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)] as T;

  for (let g = 0; g < groups && produced < options.events; g++) {
    const signers: EventSigner[] = [];
    for (let m = 0; m < members; m++) {
      const kp = suite.signatureGenerateKeyPair();
      signers.push({ suite, privateKey: kp.privateKey, publicKey: kp.publicKey });
    }
    const genesis = buildEvent({ kind: 'genesis', suite: suite.id, parents: [], body: body(), leaf: 0 }, signers[0] as EventSigner);
    produced++;
    states.push({ genesis: genesis.cid, heads: [genesis.cid], base: genesis.cid, signers });
    yield genesis;
  }

  while (produced < options.events) {
    const state = pick(states);
    const leaf = Math.floor(rng.next() * state.signers.length);
    const signer = state.signers[leaf] as EventSigner;
    const parents = [...state.heads].sort((a, b) => compareBytes(a.bytes, b.bytes)).slice(0, MAX_PARENTS);
    const roll = rng.next();
    const kind: EventKind = roll < 0.2 ? 'commit' : roll < 0.3 ? 'proposal' : roll < 0.35 ? 'welcome' : 'message';
    const common = { parents, base: state.base };
    const made: CheckedEvent[] = [];
    if (kind === 'commit') {
      const resolves = state.loser ? [state.loser] : undefined;
      const first = buildEvent({ ...common, kind, body: body(), leaf, ...(resolves ? { resolves } : {}) }, signer);
      made.push(first);
      state.loser = undefined;
      if (produced + 1 < options.events && rng.next() < forkRate) {
        const otherLeaf = (leaf + 1) % state.signers.length;
        const second = buildEvent({ ...common, kind, body: body(), leaf: otherLeaf }, state.signers[otherLeaf] as EventSigner);
        made.push(second);
        // Stand-in for resolution: the smaller CID wins here; the real rule lives in `merge`.
        const [win, lose] = compareBytes(first.cid.bytes, second.cid.bytes) < 0 ? [first, second] : [second, first];
        state.base = win.cid;
        state.loser = lose.cid;
      } else {
        state.base = first.cid;
      }
    } else {
      made.push(buildEvent({ ...common, kind, body: body(), ...(kind === 'proposal' ? { leaf } : {}) }, signer));
    }
    const used = new Set(parents.map((p) => p.toString()));
    state.heads = [...state.heads.filter((h) => !used.has(h.toString())), ...made.map((m) => m.cid)];
    for (const m of made) {
      produced++;
      yield m;
    }
  }
}
