// RFC 9420 section 4.1.1 resolution and section 4.1.2 filtered direct path.

import { copath, directPath, leafToNode, left, right, type LeafIndex, type NodeIndex } from '../treeMath.ts';
import type { RatchetTree } from './ratchetTree.ts';

/**
 * Resolution of node `x`: the non-blank nodes that together cover its subtree. A non-blank node
 * gives itself then its unmerged leaves; a blank leaf gives nothing; a blank parent gives its left
 * then its right child's resolution. Leaves in `excluded` (leaf indices) are left out, as new
 * members are when path secrets are encrypted (section 7.5).
 */
export function computeResolution(tree: RatchetTree, x: NodeIndex, excluded?: ReadonlySet<number>): NodeIndex[] {
  const out: NodeIndex[] = [];
  collectResolution(tree, x, excluded, out);
  return out;
}

function collectResolution(tree: RatchetTree, x: NodeIndex, excluded: ReadonlySet<number> | undefined, out: NodeIndex[]): void {
  if ((x & 1) === 0) {
    if (tree.leaves[x >> 1] && !excluded?.has(x >> 1)) out.push(x);
    return;
  }
  const p = tree.parents[x >> 1];
  if (p) {
    out.push(x);
    for (const l of p.unmergedLeaves) if (!excluded?.has(l)) out.push((2 * l) as NodeIndex);
    return;
  }
  collectResolution(tree, left(x), excluded, out);
  collectResolution(tree, right(x), excluded, out);
}

/** True when the resolution of `x` is not empty (without building it). */
export function hasNonEmptyResolution(tree: RatchetTree, x: NodeIndex): boolean {
  if ((x & 1) === 0) return tree.leaves[x >> 1] != null;
  if (tree.parents[x >> 1]) return true;
  return hasNonEmptyResolution(tree, left(x)) || hasNonEmptyResolution(tree, right(x));
}

/** One step of a filtered direct path: the parent on the path and its child on the copath. */
export interface FilteredPathStep {
  readonly node: NodeIndex;
  readonly copathChild: NodeIndex;
}

/**
 * Filtered direct path of leaf `l` (section 4.1.2) with each node's copath child: the direct path
 * minus every node whose copath child has an empty resolution. Ordered from the leaf upwards.
 */
export function computeFilteredDirectPathSteps(tree: RatchetTree, l: LeafIndex): FilteredPathStep[] {
  const x = leafToNode(l);
  const path = directPath(x, tree.leafCount);
  const cop = copath(x, tree.leafCount);
  const out: FilteredPathStep[] = [];
  for (let i = 0; i < path.length; i++) {
    const c = cop[i] as NodeIndex;
    if (hasNonEmptyResolution(tree, c)) out.push({ node: path[i] as NodeIndex, copathChild: c });
  }
  return out;
}

/** Filtered direct path of leaf `l` (section 4.1.2), from the leaf's parent side up to the root. */
export function computeFilteredDirectPath(tree: RatchetTree, l: LeafIndex): NodeIndex[] {
  return computeFilteredDirectPathSteps(tree, l).map((s) => s.node);
}
