// Who commits the rebase (section 5): an order over the head's members that every replica computes
// the same way. Hashing (head, leaf) spreads the duty across members from one head to the next,
// so a member that is gone stalls nobody for more than one interval per head.

import type { CipherSuite } from '@weft/crypto';
import { compareBytes, utf8 } from '@weft/codec';
import type { PublicEpoch } from './publicState.ts';

/** Member leaves of `head` in duty order (excluding `exclude`): by Hash(head key ":" leaf). */
export function computeDutyOrder(cs: CipherSuite, head: PublicEpoch, exclude: ReadonlySet<number> = new Set()): number[] {
  const ranked: { leaf: number; h: Uint8Array }[] = [];
  for (const leaf of head.identities.keys()) {
    if (exclude.has(leaf)) continue;
    ranked.push({ leaf, h: cs.hash(utf8(`${head.key}:${leaf}`)) });
  }
  ranked.sort((a, b) => compareBytes(a.h, b.h) || a.leaf - b.leaf);
  return ranked.map((r) => r.leaf);
}

/** Simulated time at which duty position `position` may commit, given when the need was seen. */
export function computeDutyDeadline(since: number, position: number, intervalMs: number, waitingForProposals: boolean): number {
  return since + position * intervalMs + (waitingForProposals ? Math.floor(intervalMs / 2) : 0);
}
