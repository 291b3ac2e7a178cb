// RFC 9420 section 7.9 parent hashes: computing them along a committer's filtered direct path and
// verifying that every non-blank parent of a tree chains back to a leaf (section 7.9.2).

import type { CipherSuite } from '@weft/crypto';
import { bytesEqual } from '@weft/codec';
import { opaqueSize, putOpaque } from '../wire/byteLayout.ts';
import { MlsError } from '../errors.ts';
import { isInSubtree, left, right, type NodeIndex } from '../treeMath.ts';
import { computeResolution } from './resolution.ts';
import type { RatchetTree } from './ratchetTree.ts';
import { computeTreeHashWithoutLeaves } from './treeHash.ts';

/** Hash of ParentHashInput { encryption_key, parent_hash, original_sibling_tree_hash }. */
export function computeParentHash(
  cs: CipherSuite,
  encryptionKey: Uint8Array,
  parentHash: Uint8Array,
  originalSiblingTreeHash: Uint8Array,
): Uint8Array {
  const input = new Uint8Array(opaqueSize(encryptionKey.length) + opaqueSize(parentHash.length) + opaqueSize(originalSiblingTreeHash.length));
  putOpaque(input, putOpaque(input, putOpaque(input, 0, encryptionKey), parentHash), originalSiblingTreeHash);
  return cs.hash(input);
}

/**
 * "Parent hash of P with copath child S": P's key and parent_hash with the tree hash of S, in
 * which P's unmerged leaves are blanked (original_sibling_tree_hash). Null when P is blank.
 */
export function computeParentHashOfNode(cs: CipherSuite, tree: RatchetTree, p: NodeIndex, s: NodeIndex): Uint8Array | null {
  const node = tree.parents[p >> 1];
  if (!node) return null;
  const sibling = computeTreeHashWithoutLeaves(cs, tree, s, node.unmergedLeaves);
  return computeParentHash(cs, node.encryptionKey, node.parentHash, sibling);
}

/** parent_hash field of node `d` (a commit-sourced leaf or a parent), or null when it has none. */
function parentHashField(tree: RatchetTree, d: NodeIndex): Uint8Array | null {
  if ((d & 1) === 1) return tree.parents[d >> 1]?.parentHash ?? null;
  const leaf = tree.leaves[d >> 1];
  return leaf && leaf.leafNodeSource.type === 'commit' ? leaf.leafNodeSource.parentHash : null;
}

/**
 * True when some node D below child `c` of parent `p` has a parent hash valid with respect to P
 * (section 7.9.2): D is in c's resolution, the rest of that resolution is exactly P's unmerged
 * leaves under c, and D.parent_hash is the parent hash of P with copath child `s`.
 */
function isLinkedThrough(cs: CipherSuite, tree: RatchetTree, p: NodeIndex, c: NodeIndex, s: NodeIndex): boolean {
  const node = tree.parents[p >> 1];
  if (!node) return false;
  const unmergedUnderC = new Set<number>();
  for (const l of node.unmergedLeaves) if (isInSubtree((2 * l) as NodeIndex, c)) unmergedUnderC.add(2 * l);
  const others = computeResolution(tree, c).filter((n) => !unmergedUnderC.has(n));
  // The resolution must be D plus exactly the unmerged leaves (each once).
  if (others.length !== 1) return false;
  const d = others[0] as NodeIndex;
  if (computeResolution(tree, c).length !== unmergedUnderC.size + 1) return false;
  const field = parentHashField(tree, d);
  if (field === null) return false;
  const expected = computeParentHashOfNode(cs, tree, p, s);
  return expected !== null && bytesEqual(field, expected);
}

/**
 * Checks that every non-blank parent node is parent-hash valid (section 7.9.2, "top down": exactly
 * one descendant links to it). Throws MlsError('parent_hash_invalid') naming the first bad node.
 */
export function verifyParentHashes(cs: CipherSuite, tree: RatchetTree): void {
  for (let j = 0; j < tree.parents.length; j++) {
    if (!tree.parents[j]) continue;
    const p = (2 * j + 1) as NodeIndex;
    const l = left(p);
    const r = right(p);
    const links = (isLinkedThrough(cs, tree, p, l, r) ? 1 : 0) + (isLinkedThrough(cs, tree, p, r, l) ? 1 : 0);
    if (links !== 1) {
      throw new MlsError(
        'parent_hash_invalid',
        links === 0
          ? `parent node ${p} is not parent-hash valid: no child's parent_hash links to it`
          : `parent node ${p} is not parent-hash valid: both children link to it`,
      );
    }
  }
}

