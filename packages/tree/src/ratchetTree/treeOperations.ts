// The tree side of the Add, Update and Remove proposals (RFC 9420 sections 12.1.1 to 12.1.3).

import { MlsError } from '../errors.ts';
import { directPath, leafToNode, type LeafIndex } from '../treeMath.ts';
import type { LeafNode } from '../wire/leafNode.ts';
import { TreeDraft, type RatchetTree } from './ratchetTree.ts';

function checkLeafIndex(tree: RatchetTree, l: number): void {
  if (!Number.isInteger(l) || l < 0 || l >= tree.leafCount) {
    throw new MlsError('leaf_index_out_of_range', `leaf ${l} is outside a tree of ${tree.leafCount} leaves`);
  }
}

/** Leftmost blank leaf, or null when the tree is full. */
export function findFreeLeaf(tree: RatchetTree): LeafIndex | null {
  const i = tree.leaves.findIndex((l) => l === null);
  return i < 0 ? null : (i as LeafIndex);
}

/**
 * Adds `leaf` at the leftmost blank leaf, doubling the tree when none is free, and appends its
 * index to unmerged_leaves of every non-blank parent on its direct path (section 12.1.1).
 */
export function addLeaf(tree: RatchetTree, leaf: LeafNode): { tree: RatchetTree; leafIndex: LeafIndex } {
  const draft = new TreeDraft(tree);
  let l = findFreeLeaf(tree);
  if (l === null) {
    l = tree.leafCount as LeafIndex;
    draft.extend();
  }
  draft.setLeaf(l, leaf);
  for (const p of directPath(leafToNode(l), draft.leafCount)) {
    const node = draft.getParent(p);
    if (node) draft.setParent(p, { ...node, unmergedLeaves: [...node.unmergedLeaves, l] });
  }
  return { tree: draft.finish(), leafIndex: l };
}

/** Replaces the LeafNode of member `l` and blanks its direct path (section 12.1.2). */
export function updateLeaf(tree: RatchetTree, l: LeafIndex, leaf: LeafNode): RatchetTree {
  checkLeafIndex(tree, l);
  if (tree.leaves[l] === null) throw new MlsError('leaf_blank', `leaf ${l} is blank and cannot be updated`);
  const draft = new TreeDraft(tree);
  draft.setLeaf(l, leaf);
  draft.blankDirectPath(l);
  return draft.finish();
}

/** Blanks member `l` and its direct path, then truncates the tree (section 12.1.3). */
export function removeLeaf(tree: RatchetTree, l: LeafIndex): RatchetTree {
  checkLeafIndex(tree, l);
  if (tree.leaves[l] === null) throw new MlsError('leaf_blank', `leaf ${l} is blank and cannot be removed`);
  const draft = new TreeDraft(tree);
  draft.setLeaf(l, null);
  draft.blankDirectPath(l);
  draft.truncate();
  return draft.finish();
}
