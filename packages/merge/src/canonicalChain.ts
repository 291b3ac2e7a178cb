// The public ledger of one group: accepted events, the public epoch of every valid handshake, and
// the canonical chain (section 4), maintained incrementally. It needs no secret, so a site can run
// it to answer "what is the canonical head"; every device runs the same code, so they agree.
//
// Acceptance (section 3): strict decode, right group, parents AND base known (otherwise the event
// waits in a bounded pending pool, so arrival order cannot change the outcome), signature, then the
// public MLS checks of its kind. A rejected event is never stored and changes nothing.

import type { CID } from 'multiformats/cid';
import { getCipherSuite, type CipherSuite, type CipherSuiteId, type ProviderName } from '@weft/crypto';
import { bytesEqual } from '@weft/codec';
import {
  EventError,
  PendingPool,
  cidFromKey,
  cidKey,
  createSuiteResolver,
  decodeEvent,
  formatCid,
  getEventGroup,
  parseCid,
  validateEvent,
  verifyEventSignature,
  type CheckedEvent,
  type DagStore,
  type EventKind,
  type KnownEvent,
  type PendingPoolLimits,
  type SuiteResolver,
  type ValidationContext,
} from '@weft/dag';
import { decodeMlsMessage } from '@weft/tree';
import { MergeError, codeOf, toRejection, type Rejection } from './errors.ts';
import { applyCommit, createGenesisEpoch, listIdentities, readProposalEvent, releasePathInputs, type ProposalRecord, type PublicEpoch } from './publicState.ts';
import { compareResolutionKeys, getResolutionKey, type ResolutionKey } from './resolution.ts';
import { computeRebaseIntents } from './rebase.ts';

/** An accepted event. */
export interface LedgerEntry {
  readonly key: string;
  readonly cid: CID;
  readonly checked: CheckedEvent;
  readonly height: number;
  readonly kind: EventKind;
}

/** A valid commit that removed some identity. */
export interface RemovalRecord {
  /** Key of the removing commit. */
  readonly key: string;
  /** Its DAG height. */
  readonly height: number;
}

/** What one `add` did. */
export interface LedgerReport {
  /** Accepted events in acceptance order (the offered one and any it released from the pool). */
  readonly accepted: LedgerEntry[];
  readonly rejected: Rejection[];
  /** The offered event waits for missing parents or base. */
  readonly pending: boolean;
  readonly duplicate: boolean;
  /** Lowest chain index that changed (null when the canonical chain did not change). */
  readonly chainChangedAt: number | null;
}

/** Options of a ledger. */
export interface LedgerOptions {
  readonly provider?: ProviderName;
  readonly pending?: PendingPoolLimits;
  /** Keep each commit's path-decryption inputs for a device (default true; a site needs none). */
  readonly keepPathInputs?: boolean;
}

/** The canonical chain as a public answer. */
export interface CanonicalChain {
  /** Group id (genesis CID string). */
  readonly group: string;
  /** CID strings from genesis to the head. */
  readonly chain: string[];
  readonly head: string;
  readonly epoch: bigint;
  readonly members: string[];
  /** Hex tree hash of the head epoch. */
  readonly treeHash: string;
  /** True when the branches together removed every member of the head (see RebaseIntents.closed). */
  readonly closed: boolean;
}

/** Thrown inside commit validation when it references Update proposals not yet accepted. */
class ProposalsMissing extends Error {
  constructor(readonly keys: string[]) {
    super('proposals missing');
  }
}

/** Pending-pool key of a proposal, by base epoch and ProposalRef: a commit can wait for it like for a parent. */
function proposalWaitKey(base: string, ref: string): string {
  return `ref:${base}:${ref}`;
}

function toHexBytes(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** The public DAG state of one group and its canonical chain. */
export class PublicLedger {
  readonly groupKey: string;
  readonly provider: ProviderName;
  readonly entries = new Map<string, LedgerEntry>();
  readonly epochs = new Map<string, PublicEpoch>();
  readonly pending: PendingPool;
  /** Valid commits by base epoch key. */
  readonly childrenByBase = new Map<string, string[]>();
  readonly proposalsByBase = new Map<string, ProposalRecord[]>();
  readonly welcomesByCommit = new Map<string, LedgerEntry[]>();
  /** Identity -> valid commits (any branch) that removed it. */
  readonly removalsByIdentity = new Map<string, RemovalRecord[]>();
  /** Losing-commit key -> keys of commits that list it in `resolves`. */
  readonly resolvedBy = new Map<string, string[]>();
  /** Keys of events without children. */
  readonly heads = new Set<string>();
  /** Canonical chain, genesis first (epoch keys). */
  readonly chain: string[] = [];
  readonly chainIndex = new Map<string, number>();
  /** Valid commits off the canonical chain, kept as the chain moves. */
  readonly #losers = new Set<string>();
  /** Commits a sibling rejected (see isRejected). */
  readonly #rejected = new Set<string>();
  cs: CipherSuite | null = null;
  maxHeight = 0;
  /** Valid commits accepted so far (what is derived from commits alone may be cached on it). */
  #commitCount = 0;
  readonly #resolveSuite: SuiteResolver;
  readonly #keepPathInputs: boolean;
  #proposalByRef = new Map<string, ProposalRecord>();

  constructor(group: CID | string, options: LedgerOptions = {}) {
    this.groupKey = typeof group === 'string' ? group : cidKey(group);
    this.provider = options.provider ?? 'node';
    this.pending = new PendingPool(options.pending ?? { maxCount: 4096, maxBytes: 16 * 1024 * 1024 });
    this.#resolveSuite = createSuiteResolver(this.provider);
    this.#keepPathInputs = options.keepPathInputs ?? true;
  }

  /** Public epoch at the canonical head, or null before genesis. */
  get head(): PublicEpoch | null {
    const k = this.chain[this.chain.length - 1];
    return k === undefined ? null : (this.epochs.get(k) ?? null);
  }

  /** Number of valid commits accepted so far: changes whenever anything derived from commits may change. */
  get commitCount(): number {
    return this.#commitCount;
  }

  /** Public epoch of `key`, if valid and known. */
  getEpoch(key: string): PublicEpoch | undefined {
    return this.epochs.get(key);
  }

  /** True when the epoch is on the canonical chain. */
  isCanonical(key: string): boolean {
    return this.chainIndex.has(key);
  }

  /** Proposal records on a base epoch. */
  getProposals(base: string): readonly ProposalRecord[] {
    return this.proposalsByBase.get(base) ?? [];
  }

  /** Offers one encoded event. Never throws on bad input: see LedgerReport. */
  add(bytes: Uint8Array): LedgerReport {
    let checked: CheckedEvent;
    try {
      checked = decodeEvent(bytes);
    } catch (e) {
      const rejected = [toRejection(new MergeError('event_invalid', `event does not decode: ${e instanceof Error ? e.message : String(e)}`, undefined, codeOf(e)))];
      return { accepted: [], rejected, pending: false, duplicate: false, chainChangedAt: null };
    }
    return this.addChecked(checked);
  }

  /**
   * Offers an already decoded event (decodeEvent output). `signatureVerified`: the caller (a
   * DagStore that accepted it) already checked its event signature.
   */
  addChecked(checked: CheckedEvent, signatureVerified = false): LedgerReport {
    const accepted: LedgerEntry[] = [];
    const rejected: Rejection[] = [];
    let changedAt: number | null = null;
    const key = cidKey(checked.cid);
    // An event names no group (format v2): a genesis is its own, any other belongs to its parents'
    // (the ledger knows only its own events, so one of another group waits for parents it never gets).
    const group = getEventGroup(checked);
    if (group && cidKey(group) !== this.groupKey) {
      rejected.push(toRejection(new MergeError('wrong_group', 'event belongs to another group', checked.cid.toString())));
      return { accepted, rejected, pending: false, duplicate: false, chainChangedAt: null };
    }
    if (this.entries.has(key)) return { accepted, rejected, pending: false, duplicate: true, chainChangedAt: null };
    if (this.pending.has(key)) return { accepted, rejected, pending: true, duplicate: false, chainChangedAt: null };
    const work: { checked: CheckedEvent; verified: boolean }[] = [{ checked, verified: signatureVerified }];
    let pending = false;
    while (work.length > 0) {
      const item = work.shift() as { checked: CheckedEvent; verified: boolean };
      const outcome = this.#offer(item.checked, item.verified);
      if (outcome.kind === 'pending') {
        if (item.checked === checked) pending = true;
        rejected.push(...outcome.evicted);
        continue;
      }
      if (outcome.kind === 'rejected') {
        rejected.push(outcome.rejection);
        continue;
      }
      accepted.push(outcome.entry);
      if (outcome.changedAt !== null) changedAt = changedAt === null ? outcome.changedAt : Math.min(changedAt, outcome.changedAt);
      const released = this.pending.release(outcome.entry.key);
      if (outcome.releaseKey !== null) released.push(...this.pending.release(outcome.releaseKey));
      for (const ready of released) work.push({ checked: ready.checked, verified: ready.signatureVerified });
    }
    return { accepted, rejected, pending, duplicate: false, chainChangedAt: changedAt };
  }

  #lookup(k: string): KnownEvent | undefined {
    const e = this.entries.get(k);
    return e ? { group: this.groupKey, kind: e.kind, height: e.height } : undefined;
  }

  #offer(
    checked: CheckedEvent,
    verified: boolean,
  ):
    | { kind: 'pending'; evicted: Rejection[] }
    | { kind: 'rejected'; rejection: Rejection }
    | { kind: 'accepted'; entry: LedgerEntry; changedAt: number | null; releaseKey: string | null } {
    const { event } = checked;
    const key = cidKey(checked.cid);
    const label = formatCid(checked.cid);
    // Resolved commits are waited for too: a replica that gets a rebase before the commits it
    // resolves must not reject it (bad_resolves) while another accepts it.
    const refs = [...event.parents, ...(event.base ? [event.base] : []), ...(event.resolves ?? [])];
    const missing = [...new Set(refs.map(cidKey).filter((k) => !this.entries.has(k)))];
    try {
      if (missing.length > 0) {
        let sigOk = verified;
        if (!sigOk && this.cs) {
          verifyEventSignature(checked, this.cs);
          sigOk = true;
        }
        const entry = { key, checked, missing: new Set(missing), signatureVerified: sigOk };
        const evicted = this.pending.add(entry);
        return {
          kind: 'pending',
          evicted: evicted.map((e) => toRejection(new MergeError('missing_parent', `parents or base of ${e.checked.cid.toString()} never arrived (pending pool full)`, e.checked.cid.toString()))),
        };
      }
      const ctx: ValidationContext = {
        lookup: (k) => this.#lookup(k),
        resolveSuite: this.#resolveSuite,
        groupSuite: () => this.cs?.id,
        signatureVerified: verified,
      };
      const outcome = validateEvent(checked, ctx);
      if (outcome.status === 'missing') throw new Error('unreachable: parents were checked');
      const entry: LedgerEntry = { key, cid: checked.cid, checked, height: outcome.height, kind: event.kind };
      const changedAt = this.#applyKind(entry);
      this.entries.set(key, entry);
      for (const p of event.parents) this.heads.delete(cidKey(p));
      this.heads.add(key);
      this.maxHeight = Math.max(this.maxHeight, entry.height);
      const rec = entry.kind === 'proposal' ? this.proposalsByBase.get(cidKey(event.base as CID))?.at(-1) : undefined;
      return { kind: 'accepted', entry, changedAt, releaseKey: rec ? proposalWaitKey(rec.base, rec.ref) : null };
    } catch (e) {
      if (e instanceof ProposalsMissing) {
        // Like a missing parent: wait for the referenced proposal events (bounded pool).
        const evicted = this.pending.add({ key, checked, missing: new Set(e.keys), signatureVerified: true });
        return {
          kind: 'pending',
          evicted: evicted.map((x) => toRejection(new MergeError('missing_parent', `ancestors or proposals of ${x.checked.cid.toString()} never arrived (pending pool full)`, x.checked.cid.toString()))),
        };
      }
      if (e instanceof MergeError) return { kind: 'rejected', rejection: toRejection(e) };
      if (e instanceof EventError) return { kind: 'rejected', rejection: toRejection(new MergeError('event_invalid', e.message, label, e.code)) };
      return { kind: 'rejected', rejection: toRejection(new MergeError('event_invalid', e instanceof Error ? e.message : String(e), label, codeOf(e))) };
    }
  }

  /** Kind-specific public checks and indexing; throws MergeError. Returns the chain change index for commits. */
  #applyKind(entry: LedgerEntry): number | null {
    const { checked } = entry;
    const ev = checked.event;
    const label = formatCid(checked.cid);
    if (ev.kind === 'genesis') {
      const cs = getCipherSuite(ev.suite as CipherSuiteId, this.provider);
      const epoch = createGenesisEpoch(cs, checked);
      this.cs = cs;
      this.epochs.set(entry.key, epoch);
      this.chain.push(entry.key);
      this.chainIndex.set(entry.key, 0);
      return 0;
    }
    const cs = this.cs;
    if (!cs) throw new MergeError('event_invalid', 'no genesis', label);
    const baseKey = ev.base ? cidKey(ev.base) : null;
    const base = baseKey === null ? undefined : this.epochs.get(baseKey);
    if (ev.kind === 'commit') {
      if (!base) throw new MergeError('invalid_commit', 'commit base is not a valid epoch', label);
      const epoch = applyCommit(cs, base, checked, entry.height, (b, ref) => {
        const rec = this.#proposalByRef.get(`${b}:${ref}`);
        if (!rec) throw new ProposalsMissing([proposalWaitKey(b, ref)]);
        return rec;
      });
      this.#checkResolves(epoch, label);
      if (!this.#keepPathInputs) releasePathInputs(epoch);
      this.epochs.set(entry.key, epoch);
      this.#commitCount++;
      const kids = this.childrenByBase.get(base.key) ?? [];
      kids.push(entry.key);
      this.childrenByBase.set(base.key, kids);
      for (const r of epoch.change?.removes ?? []) {
        const rs = this.removalsByIdentity.get(r.identity) ?? [];
        rs.push({ key: entry.key, height: entry.height });
        this.removalsByIdentity.set(r.identity, rs);
      }
      const rejectedNow: string[] = [];
      for (const r of epoch.change?.resolves ?? []) {
        const by = this.resolvedBy.get(r) ?? [];
        by.push(entry.key);
        this.resolvedBy.set(r, by);
        if (this.#isRejection(epoch, r)) {
          this.#rejected.add(r);
          rejectedNow.push(r);
        }
      }
      return this.#onCommit(base, epoch, rejectedNow);
    }
    if (ev.kind === 'proposal') {
      if (!base) throw new MergeError('invalid_proposal', 'proposal base is not a valid epoch', label);
      const rec = readProposalEvent(cs, base, checked, entry.height);
      const list = this.proposalsByBase.get(base.key) ?? [];
      list.push(rec);
      this.proposalsByBase.set(base.key, list);
      if (!this.#proposalByRef.has(`${base.key}:${rec.ref}`)) this.#proposalByRef.set(`${base.key}:${rec.ref}`, rec);
      return null;
    }
    if (ev.kind === 'welcome') {
      const commit = base && base.change ? base : undefined;
      if (!commit || !commit.change) throw new MergeError('invalid_welcome', 'a welcome must name a valid commit as its base', label);
      const committerLeaf = commit.tree.leaves[commit.change.committer];
      if (!committerLeaf || !bytesEqual(committerLeaf.signatureKey, ev.author.key)) throw new MergeError('not_member', 'a welcome must come from its commit\'s committer', label);
      try {
        const m = decodeMlsMessage(ev.body);
        if (m.wireFormat !== 'welcome') throw new Error(`body is a ${m.wireFormat}`);
      } catch (e) {
        throw new MergeError('invalid_welcome', `welcome body: ${e instanceof Error ? e.message : String(e)}`, label, codeOf(e));
      }
      const list = this.welcomesByCommit.get(commit.key) ?? [];
      list.push(entry);
      this.welcomesByCommit.set(commit.key, list);
      return null;
    }
    // message
    if (!base) throw new MergeError('invalid_message', 'a message must name a valid epoch as its base', label);
    try {
      const m = decodeMlsMessage(ev.body);
      if (m.wireFormat !== 'private_message') throw new Error(`body is a ${m.wireFormat}`);
      if (m.privateMessage.epoch !== base.epoch || !bytesEqual(m.privateMessage.groupId, base.groupContext.groupId)) throw new Error('group or epoch differs from its base');
    } catch (e) {
      throw new MergeError('invalid_message', `message body: ${e instanceof Error ? e.message : String(e)}`, label, codeOf(e));
    }
    return null;
  }

  /** A commit may only resolve commits that are not its own epoch ancestors. */
  #checkResolves(epoch: PublicEpoch, label: string): void {
    for (const r of epoch.change?.resolves ?? []) {
      const target = this.epochs.get(r);
      if (!target) throw new MergeError('bogus_resolves', `resolves names ${cidFromKey(r).toString()}, not a valid commit`, label);
      // Walk up from the base only as far as the target's epoch number: cost follows the distance.
      let cur: PublicEpoch | undefined = this.epochs.get(epoch.base ?? '');
      while (cur && cur.epoch >= target.epoch) {
        if (cur.key === r) throw new MergeError('bogus_resolves', `resolves names ${cidFromKey(r).toString()}, an ancestor of the commit`, label);
        cur = cur.base === null ? undefined : this.epochs.get(cur.base);
      }
    }
  }

  /**
   * True when commit `epoch` rejects `target` by naming it in `resolves`: a sibling (same base)
   * by another member, whom the target does not remove. A member that cannot process a commit
   * (garbage path secrets, a bad confirmation tag: checks that need epoch secrets) says so this
   * way, and every replica then ranks the target below every commit that is not rejected. Public
   * data only, so sites and devices agree; a false rejection costs a re-commit, as the rejected
   * commit's intents are rebased like any loser's.
   */
  #isRejection(epoch: PublicEpoch, target: string): boolean {
    const t = this.epochs.get(target);
    const by = epoch.change?.committer;
    if (!t?.change || by === undefined || t.base !== epoch.base || t.change.committer === by) return false;
    return !t.change.removes.some((r) => r.leaf === by);
  }

  /** True when a sibling commit rejected this commit (see #isRejection): it loses to every commit that is not rejected. */
  isRejected(key: string): boolean {
    return this.#rejected.has(key);
  }

  #key(base: PublicEpoch, child: PublicEpoch): ResolutionKey {
    return getResolutionKey(base, child, this.#rejected.has(child.key));
  }

  /** The winning child of an epoch (null when it has none). */
  getWinner(baseKey: string): PublicEpoch | null {
    const base = this.epochs.get(baseKey);
    const kids = this.childrenByBase.get(baseKey);
    if (!base || !kids || kids.length === 0) return null;
    let best: PublicEpoch | null = null;
    for (const k of kids) {
      const c = this.epochs.get(k) as PublicEpoch;
      if (best === null || compareResolutionKeys(this.#key(base, c), this.#key(base, best)) < 0) best = c;
    }
    return best;
  }

  /** Updates the canonical chain for a new valid commit; returns the lowest changed index or null. */
  #onCommit(base: PublicEpoch, epoch: PublicEpoch, rejectedNow: readonly string[]): number | null {
    this.#losers.add(epoch.key);
    const i = this.chainIndex.get(base.key);
    if (i === undefined) return null;
    const curKey = this.chain[i + 1];
    let from = epoch;
    if (curKey !== undefined) {
      const cur = this.epochs.get(curKey) as PublicEpoch;
      // A rejected chain child may leave a third sibling the winner: pick again among all.
      if (rejectedNow.includes(curKey)) from = this.getWinner(base.key) as PublicEpoch;
      else if (compareResolutionKeys(this.#key(base, epoch), this.#key(base, cur)) >= 0) return null;
      for (let j = i + 1; j < this.chain.length; j++) {
        const k = this.chain[j] as string;
        this.chainIndex.delete(k);
        this.#losers.add(k);
      }
      this.chain.length = i + 1;
    }
    this.#extend(from);
    return i + 1;
  }

  /** Appends `from` and then the winner at each epoch below it. */
  #extend(from: PublicEpoch): void {
    let cur: PublicEpoch | null = from;
    while (cur) {
      this.chainIndex.set(cur.key, this.chain.length);
      this.chain.push(cur.key);
      this.#losers.delete(cur.key);
      cur = this.getWinner(cur.key);
    }
  }

  /** The canonical chain as CID strings and the head's public facts. */
  describe(): CanonicalChain {
    const head = this.head;
    if (!head) throw new MergeError('no_group', 'the ledger has no genesis yet');
    return {
      group: cidFromKey(this.groupKey).toString(),
      chain: this.chain.map((k) => cidFromKey(k).toString()),
      head: cidFromKey(head.key).toString(),
      epoch: head.epoch,
      members: listIdentities(head),
      treeHash: toHexBytes(head.groupContext.treeHash),
      closed: computeRebaseIntents(this)?.closed ?? false,
    };
  }

  /**
   * True when event `ancestor` is `key` or in its causal past (reached through parents): the
   * author of `key` had seen it. Walks only events above the ancestor's height.
   */
  descendsFrom(key: string, ancestor: string): boolean {
    const floor = this.entries.get(ancestor)?.height;
    if (floor === undefined) return false;
    const seen = new Set<string>();
    const stack = [key];
    while (stack.length > 0) {
      const k = stack.pop() as string;
      if (k === ancestor) return true;
      if (seen.has(k)) continue;
      seen.add(k);
      const e = this.entries.get(k);
      if (!e || e.height <= floor) continue;
      for (const p of e.checked.event.parents) stack.push(cidKey(p));
    }
    return false;
  }

  /** The canonical-chain epoch at DAG height `height`, if the chain has one there (heights rise along the chain). */
  findChainEpochAtHeight(height: number): PublicEpoch | undefined {
    let lo = 0;
    let hi = this.chain.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const e = this.epochs.get(this.chain[mid] as string) as PublicEpoch;
      if (e.height === height) return e;
      if (e.height < height) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** Keys of valid commits that are not on the canonical chain. */
  listLosers(): string[] {
    return [...this.#losers];
  }

  /**
   * True when a canonical commit lists `loser`, or the losing commit it descends from (its
   * epoch ancestors off the chain), in its resolves. Cost follows the distance to the chain.
   */
  isSettled(loser: string): boolean {
    for (let k: string | null = loser; k !== null && !this.chainIndex.has(k); k = this.epochs.get(k)?.base ?? null) {
      if ((this.resolvedBy.get(k) ?? []).some((c) => this.chainIndex.has(c))) return true;
    }
    return false;
  }

  /** True when a losing commit's base is on the canonical chain (the root of a losing subtree). */
  isForkRoot(loser: string): boolean {
    const base = this.epochs.get(loser)?.base;
    return base !== undefined && base !== null && this.chainIndex.has(base) && !this.chainIndex.has(loser);
  }
}

/**
 * Public resolution over a set of encoded events (any order): the canonical chain a site computes
 * without any secret. Events of other groups, invalid events and events whose ancestors are missing
 * are left out exactly as every device leaves them out.
 */
export function computeCanonicalChain(events: Iterable<Uint8Array>, options: LedgerOptions & { group?: string } = {}): CanonicalChain {
  const list = [...events];
  let group = options.group;
  if (group === undefined) {
    for (const bytes of list) {
      try {
        const c = decodeEvent(bytes);
        if (c.event.kind === 'genesis') {
          group = c.cid.toString();
          break;
        }
      } catch {
        // not decodable: the ledger will reject it
      }
    }
  }
  if (group === undefined) throw new MergeError('no_group', 'no genesis among the events');
  const ledger = new PublicLedger(cidKey(parseCidString(group)), { keepPathInputs: false, ...options, pending: { maxCount: list.length + 1, maxBytes: 1 << 30 } });
  for (const bytes of list) ledger.add(bytes);
  return ledger.describe();
}

/** Public resolution over a group held in a DagStore (a site's replica). */
export async function computeCanonicalChainFromStore(store: DagStore, group: CID, options: LedgerOptions = {}): Promise<CanonicalChain> {
  const ledger = new PublicLedger(group, { keepPathInputs: false, ...options, pending: { maxCount: 1_000_000, maxBytes: 1 << 30 } });
  for await (const block of store.iterateBlocks(group)) ledger.add(block.bytes);
  return ledger.describe();
}

function parseCidString(s: string): CID {
  return /^[0-9a-f]+$/.test(s) ? cidFromKey(s) : parseCid(s);
}
