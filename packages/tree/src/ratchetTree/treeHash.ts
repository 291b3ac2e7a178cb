// RFC 9420 section 7.8 tree hashes, memoised per node. A cached hash stays valid until its node
// or a descendant changes; edits (TreeDraft) clear only the changed nodes' direct paths, so a
// commit rehashes O(log n) nodes, not the whole tree.

import type { CipherSuite } from '@weft/crypto';
import { isInSubtree, left, level, right, root, type NodeIndex } from '../treeMath.ts';
import { opaqueSize, putOpaque, putRaw, putU32, putVarint } from '../wire/byteLayout.ts';
import { leafNodeBytes } from '../wire/leafNode.ts';
import type { ParentNode } from '../wire/parentNode.ts';
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

// The TreeHashInput of a node is written into one buffer of its exact size (the LeafNode's cached
// encoding, a ParentNode's few fields); a commit hashes one of these per node of its path.

function hashLeafInput(cs: CipherSuite, tree: RatchetTree, x: NodeIndex, blank: boolean): Uint8Array {
  const leaf = blank ? null : tree.leaves[x >> 1];
  const leafBytes = leaf ? leafNodeBytes(leaf) : null;
  const input = new Uint8Array(1 + 4 + 1 + (leafBytes ? leafBytes.length : 0));
  input[0] = 1; // node_type leaf
  let o = putU32(input, 1, x >> 1);
  if (leafBytes) {
    input[o++] = 1;
    putRaw(input, o, leafBytes);
  } // else the presence byte stays 0
  return cs.hash(input);
}

function hashParentInput(cs: CipherSuite, node: ParentNode | null, leftHash: Uint8Array, rightHash: Uint8Array): Uint8Array {
  const unmerged = node ? 4 * node.unmergedLeaves.length : 0;
  const nodeSize = node ? opaqueSize(node.encryptionKey.length) + opaqueSize(node.parentHash.length) + opaqueSize(unmerged) : 0;
  const input = new Uint8Array(1 + 1 + nodeSize + opaqueSize(leftHash.length) + opaqueSize(rightHash.length));
  input[0] = 2; // node_type parent
  let o = 2;
  if (node) {
    input[1] = 1;
    o = putOpaque(input, o, node.encryptionKey);
    o = putOpaque(input, o, node.parentHash);
    o = putVarint(input, o, unmerged);
    for (const l of node.unmergedLeaves) o = putU32(input, o, l);
  }
  o = putOpaque(input, o, leftHash);
  putOpaque(input, o, rightHash);
  return cs.hash(input);
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
