// RFC 9420 section 7.8 tree hashes, memoised per node. A cached hash stays valid until its node
// or a descendant changes; edits (TreeDraft) clear only the changed nodes' direct paths, so a
// commit rehashes O(log n) nodes, not the whole tree.

import type { CipherSuite } from '@weft/crypto';
import { Writer } from '@weft/codec';
import { isInSubtree, left, level, right, root, type NodeIndex } from '../treeMath.ts';
import { writeLeafNode } from '../wire/leafNode.ts';
import { writeParentNode, type ParentNode } from '../wire/parentNode.ts';
import type { RatchetTree } from './ratchetTree.ts';

function cacheFor(cs: CipherSuite, tree: RatchetTree): (Uint8Array | undefined)[] {
  const cache = tree.hashCache;
  if (cache.suite !== cs.id) {
    // Filled by another suite's hash function: start over.
    cache.suite = cs.id;
    cache.hashes = new Array<Uint8Array | undefined>(2 * tree.leafCount - 1);
  }
  return cache.hashes;
}

function hashLeafInput(cs: CipherSuite, tree: RatchetTree, x: NodeIndex, blank: boolean): Uint8Array {
  const w = new Writer(512).u8(1).u32(x >> 1);
  w.optional(blank ? null : tree.leaves[x >> 1], writeLeafNode);
  return cs.hash(w.finish());
}

function hashParentInput(cs: CipherSuite, node: ParentNode | null, leftHash: Uint8Array, rightHash: Uint8Array): Uint8Array {
  const w = new Writer(256).u8(2);
  w.optional(node, writeParentNode);
  w.opaque(leftHash).opaque(rightHash);
  return cs.hash(w.finish());
}

/** TreeHash of node `x` (its TreeHashInput hashed), using and filling the tree's cache. */
export function computeNodeTreeHash(cs: CipherSuite, tree: RatchetTree, x: NodeIndex): Uint8Array {
  const hashes = cacheFor(cs, tree);
  return nodeHash(cs, tree, hashes, x);
}

function nodeHash(cs: CipherSuite, tree: RatchetTree, hashes: (Uint8Array | undefined)[], x: NodeIndex): Uint8Array {
  const cached = hashes[x];
  if (cached) return cached;
  const h =
    (x & 1) === 0
      ? hashLeafInput(cs, tree, x, false)
      : hashParentInput(cs, tree.parents[x >> 1] ?? null, nodeHash(cs, tree, hashes, left(x)), nodeHash(cs, tree, hashes, right(x)));
  hashes[x] = h;
  return h;
}

/** Tree hash of the whole tree (the root's), as carried in GroupContext.tree_hash. */
export function computeTreeHash(cs: CipherSuite, tree: RatchetTree): Uint8Array {
  return computeNodeTreeHash(cs, tree, root(tree.leafCount));
}

/**
 * Tree hash of node `x` in the tree modified as section 7.9 describes for
 * original_sibling_tree_hash: each leaf in `removed` is blanked and dropped from every parent's
 * unmerged_leaves. Subtrees holding none of those leaves reuse the cached hash.
 */
export function computeTreeHashWithoutLeaves(cs: CipherSuite, tree: RatchetTree, x: NodeIndex, removed: readonly number[]): Uint8Array {
  const hashes = cacheFor(cs, tree);
  const inside = removed.filter((l) => isInSubtree((2 * l) as NodeIndex, x));
  if (inside.length === 0) return nodeHash(cs, tree, hashes, x);
  if (level(x) === 0) return hashLeafInput(cs, tree, x, true);
  const p = tree.parents[x >> 1] ?? null;
  const node = p ? { ...p, unmergedLeaves: p.unmergedLeaves.filter((l) => !inside.includes(l)) } : null;
  return hashParentInput(
    cs,
    node,
    computeTreeHashWithoutLeaves(cs, tree, left(x), inside),
    computeTreeHashWithoutLeaves(cs, tree, right(x), inside),
  );
}
