// DESIGN.md section 4 (normative): among the commits built on one epoch, the winner has the
// smallest (lastUpdate(committer, base), committer leaf index, CID bytes). Weft puts one public
// flag first: a commit that a sibling rejected (canonicalChain.ts) loses to every other. Pure functions of
// public epochs: no clock, no arrival order, no local state.

import type { PublicEpoch } from './publicState.ts';

/** The sort key of a competing commit. `cid` is the cidKey (hex of CID bytes, same order as the bytes). */
export interface ResolutionKey {
  /** Rejected by a sibling commit (see PublicLedger.isRejected): loses to every commit that is not. */
  readonly rejected: boolean;
  readonly lastUpdate: number;
  readonly leaf: number;
  readonly cid: string;
}

/** The resolution key of `child` (a commit built on `base`); `rejected` when a sibling rejected it. */
export function getResolutionKey(base: PublicEpoch, child: PublicEpoch, rejected = false): ResolutionKey {
  const leaf = child.change?.committer ?? 0;
  return { rejected, lastUpdate: base.lastUpdate.get(leaf) ?? 0, leaf, cid: child.key };
}

/** Negative when `a` wins over `b` (smaller key), positive when `b` wins, 0 for the same commit. */
export function compareResolutionKeys(a: ResolutionKey, b: ResolutionKey): number {
  if (a.rejected !== b.rejected) return a.rejected ? 1 : -1;
  if (a.lastUpdate !== b.lastUpdate) return a.lastUpdate - b.lastUpdate;
  if (a.leaf !== b.leaf) return a.leaf - b.leaf;
  // cidKeys of event CIDs all have the same length, so string order is byte order.
  return a.cid < b.cid ? -1 : a.cid > b.cid ? 1 : 0;
}

/** The winning child of `base` among `children` (non-empty), by the resolution rule; `isRejected` names rejected commits. */
export function pickWinner(base: PublicEpoch, children: readonly PublicEpoch[], isRejected: (key: string) => boolean = () => false): PublicEpoch {
  let best = children[0];
  if (!best) throw new RangeError('pickWinner needs at least one child');
  let bestKey = getResolutionKey(base, best, isRejected(best.key));
  for (let i = 1; i < children.length; i++) {
    const c = children[i] as PublicEpoch;
    const k = getResolutionKey(base, c, isRejected(c.key));
    if (compareResolutionKeys(k, bestKey) < 0) {
      best = c;
      bestKey = k;
    }
  }
  return best;
}

/** Why `winner` beat `loser` on their shared base: the first key field that differs. */
export function explainWin(base: PublicEpoch, winner: PublicEpoch, loser: PublicEpoch, isRejected: (key: string) => boolean = () => false): 'rejected' | 'least_recent_update' | 'lower_leaf' | 'cid_bytes' {
  const w = getResolutionKey(base, winner, isRejected(winner.key));
  const l = getResolutionKey(base, loser, isRejected(loser.key));
  if (w.rejected !== l.rejected) return 'rejected';
  if (w.lastUpdate !== l.lastUpdate) return 'least_recent_update';
  if (w.leaf !== l.leaf) return 'lower_leaf';
  return 'cid_bytes';
}
