// DESIGN.md section 5 (normative): the intents of losing branches that the canonical head does not
// satisfy yet, read from public data only, so every replica plans the same rebase. Satisfaction is
// judged against the head state (not only against `resolves`), so a bogus or partial rebase can
// never cancel a removal: remove wins.

import type { KeyPackage } from '@weft/tree';
import type { PublicLedger } from './canonicalChain.ts';
import type { ProposalRecord, PublicEpoch } from './publicState.ts';

/** An open remove: a member of the head that some losing branch removed after it was added. */
export interface OpenRemove {
  readonly identity: string;
  /** Leaf in the head epoch. */
  readonly leaf: number;
  /** Key of the losing commit that removed it. */
  readonly loser: string;
}

/** An open add: an identity added only on a losing branch and removed by nobody since. */
export interface OpenAdd {
  readonly identity: string;
  /** The KeyPackage the losing commit used (a fresh one from the directory is preferred). */
  readonly keyPackage: KeyPackage;
  readonly loser: string;
}

/** A member whose key refresh was made on a losing branch and not redone on the canonical chain since. */
export interface StaleUpdater {
  readonly identity: string;
  readonly leaf: number;
}

/** Everything a rebase commit on `head` must carry. */
export interface RebaseIntents {
  readonly head: string;
  readonly removes: OpenRemove[];
  readonly adds: OpenAdd[];
  readonly staleUpdaters: StaleUpdater[];
  /** Rejoin requests on the head (stranded members), one per identity. */
  readonly rejoins: ProposalRecord[];
  /** Update proposals on the head, one per leaf (smallest CID first). */
  readonly updates: ProposalRecord[];
  /** Roots of losing subtrees (base on the chain) not yet settled by a canonical `resolves`, sorted; listing a root settles its subtree. */
  readonly unsettled: string[];
  /**
   * True when the branches together remove every member of the head and nobody else is to be
   * added: remove wins, an MLS group cannot be empty, so the group is closed for good. Nobody may
   * send or commit on it (every replica computes this from public data alike).
   */
  readonly closed: boolean;
  /**
   * True when every member of the head is removed but losing-branch joiners remain: a removed
   * member commits their re-add (it cannot remove itself), and a joiner then removes it.
   */
  readonly handoff: boolean;
}

/** True when the plan has something to commit. */
export function hasRebaseWork(i: RebaseIntents): boolean {
  return i.removes.length > 0 || i.adds.length > 0 || i.rejoins.length > 0 || i.updates.length > 0;
}

/** The intents read from the losing commits: they change only when a commit arrives. */
interface LoserIntents {
  readonly head: string;
  readonly commits: number;
  readonly removes: ReadonlyMap<string, OpenRemove>;
  readonly adds: ReadonlyMap<string, OpenAdd>;
  readonly stale: ReadonlyMap<string, StaleUpdater>;
  readonly unsettled: readonly string[];
  /** Every member of the head is removed on some branch. */
  readonly everyoneRemoved: boolean;
}

/**
 * Last LoserIntents per ledger. A heal delivers dozens of Update proposals one by one after the
 * commits, and each asks for the intents again; only the proposal part needs recomputing then.
 */
const loserMemo = new WeakMap<PublicLedger, LoserIntents>();

function readLoserIntents(ledger: PublicLedger, head: PublicEpoch): LoserIntents {
  const memo = loserMemo.get(ledger);
  if (memo && memo.head === head.key && memo.commits === ledger.commitCount) return memo;
  const removes = new Map<string, OpenRemove>();
  const adds = new Map<string, OpenAdd>();
  const stale = new Map<string, StaleUpdater>();
  const unsettled: string[] = [];
  const losers = ledger.listLosers().sort();
  for (const key of losers) {
    const loser = ledger.getEpoch(key) as PublicEpoch;
    const ch = loser.change;
    if (!ch) continue;
    // Fork root first: isSettled walks up to the chain, which from a root is one step.
    if (ledger.isForkRoot(key) && !ledger.isSettled(key)) unsettled.push(key);
    for (const r of ch.removes) {
      const leaf = head.leafOf.get(r.identity);
      if (leaf === undefined || removes.has(r.identity)) continue;
      // Remove wins over every add that did not know of the removal, a concurrent re-add included.
      // (The commit that added the current occupant is the chain epoch at its addedAt height.)
      const add = ledger.findChainEpochAtHeight(head.addedAt.get(leaf) ?? 0);
      if (!add || !knewCommit(ledger, add, key, loser.height)) removes.set(r.identity, { identity: r.identity, leaf, loser: key });
    }
    for (const a of ch.adds) {
      if (head.leafOf.has(a.identity) || adds.has(a.identity)) continue;
      // Dropped when any branch removed the identity without the adder having seen that removal:
      // after the add, or concurrently with it (remove wins, whichever branch won).
      const removed = (ledger.removalsByIdentity.get(a.identity) ?? []).some((r) => !knewCommit(ledger, loser, r.key, r.height));
      if (!removed) adds.set(a.identity, { identity: a.identity, keyPackage: a.keyPackage, loser: key });
    }
    // Judged on state, settled or not: a member whose Update missed the rebase commit proposes
    // again on the new head and the next commit takes it (no refresh is dropped silently).
    for (const identity of [ch.committerIdentity, ...ch.updates.map((u) => u.identity)]) {
      const leaf = head.leafOf.get(identity);
      if (leaf === undefined || stale.has(identity)) continue;
      if ((head.lastRefresh.get(leaf) ?? 0) < loser.height) stale.set(identity, { identity, leaf });
    }
  }
  for (const id of removes.keys()) stale.delete(id);
  const everyoneRemoved = head.leafOf.size > 0 && [...head.leafOf.keys()].every((id) => removes.has(id));
  const out: LoserIntents = { head: head.key, commits: ledger.commitCount, removes, adds, stale, unsettled, everyoneRemoved };
  loserMemo.set(ledger, out);
  return out;
}

/**
 * True when the commit `epoch` is commit `other` (at `otherHeight`) or had it in its past: an
 * epoch ancestor (it processed it), else a causal ancestor through event parents. A commit at or
 * below `other`'s height cannot have seen it.
 */
function knewCommit(ledger: PublicLedger, epoch: PublicEpoch, other: string, otherHeight: number): boolean {
  if (other === epoch.key) return true;
  if (otherHeight >= epoch.height) return false;
  let cur: PublicEpoch | undefined = epoch;
  // Up the losing lineage to the chain; there, chain order decides (a chain epoch's ancestors are the chain before it).
  while (cur && !ledger.chainIndex.has(cur.key)) {
    if (cur.key === other) return true;
    cur = cur.base === null ? undefined : ledger.getEpoch(cur.base);
  }
  const at = ledger.chainIndex.get(other);
  if (cur && at !== undefined && at <= (ledger.chainIndex.get(cur.key) as number)) return true;
  return ledger.descendsFrom(epoch.key, other);
}

/** Computes the open intents at the canonical head of `ledger`. */
export function computeRebaseIntents(ledger: PublicLedger): RebaseIntents | null {
  const head = ledger.head;
  if (!head) return null;
  const losing = readLoserIntents(ledger, head);
  const { removes, adds } = losing;
  const stale = new Map(losing.stale);
  const rejoins = new Map<string, ProposalRecord>();
  const updates = new Map<number, ProposalRecord>();
  const props = [...ledger.getProposals(head.key)].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  for (const p of props) {
    if (p.senderLeaf === null && p.proposal.proposalType === 'add') {
      const id = identityOfKeyPackage(p.proposal.keyPackage);
      if (!rejoins.has(id) && !removes.has(id)) rejoins.set(id, p);
    } else if (p.senderLeaf !== null && !updates.has(p.senderLeaf)) {
      const id = head.identities.get(p.senderLeaf);
      if (id !== undefined && !removes.has(id)) updates.set(p.senderLeaf, p);
    }
  }
  // A rejoining member's leaf is replaced, so its Update (if any) is moot and nobody waits for one.
  for (const r of rejoins.keys()) {
    const leaf = head.leafOf.get(r);
    if (leaf !== undefined) updates.delete(leaf);
    stale.delete(r);
  }
  const everyoneRemoved = losing.everyoneRemoved;
  return {
    head: head.key,
    closed: everyoneRemoved && adds.size === 0,
    handoff: everyoneRemoved && adds.size > 0,
    removes: [...removes.values()],
    adds: [...adds.values()],
    staleUpdaters: [...stale.values()],
    rejoins: [...rejoins.values()],
    updates: [...updates.values()],
    unsettled: [...losing.unsettled],
  };
}

const dec = new TextDecoder();
function identityOfKeyPackage(kp: KeyPackage): string {
  const c = kp.leafNode.credential;
  return c.credentialType === 'basic' ? dec.decode(c.identity) : '';
}
