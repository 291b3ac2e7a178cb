// RFC 9420 sections 4 and 7: the ratchet tree as arrays in the Appendix C layout. Leaf i is node
// 2i, parent slot j is node 2j+1, so both are found at `node >> 1`. The tree is always full
// (leafCount a power of two); it doubles on Add and halves on Remove (section 7.7).
//
// Values are immutable by convention. Every edit goes through a draft that copies the arrays
// once and invalidates the cached tree hashes of the changed nodes and their direct paths only.

import { decode, encode, type Reader } from '@weft/codec';
import { MlsError } from '../errors.ts';
import { directPath, leafToNode, type LeafIndex, type NodeIndex } from '../treeMath.ts';
import type { LeafNode } from '../wire/leafNode.ts';
import { MAX_LEAVES } from '../wire/limits.ts';
import { readRatchetTreeNodes, writeRatchetTreeNodes, type Node } from '../wire/node.ts';
import type { ParentNode } from '../wire/parentNode.ts';

/**
 * Memoised tree hashes by node index. Owned by exactly one RatchetTree value and filled lazily,
 * which no caller can observe; `suite` records which hash function filled it.
 */
export interface TreeHashCache {
  suite: number | null;
  hashes: (Uint8Array | undefined)[];
}

/**
 * A ratchet tree: `leaves[i]` is leaf i (node 2i), `parents[j]` is node 2j+1; null is blank.
 * Build and change trees only with this package's functions: a hand-made copy (e.g. a spread)
 * would share `hashCache` with the original and return stale tree hashes.
 */
export interface RatchetTree {
  readonly leafCount: number;
  readonly leaves: readonly (LeafNode | null)[];
  readonly parents: readonly (ParentNode | null)[];
  readonly hashCache: TreeHashCache;
}

/** Number of nodes of the (full) tree. */
export function treeWidth(tree: RatchetTree): number {
  return 2 * tree.leafCount - 1;
}

/** LeafNode at leaf `l`, or null when blank or out of range. */
export function getLeaf(tree: RatchetTree, l: LeafIndex | number): LeafNode | null {
  return tree.leaves[l] ?? null;
}

/** ParentNode at (odd) node `x`, or null when blank. */
export function getParent(tree: RatchetTree, x: NodeIndex | number): ParentNode | null {
  return tree.parents[x >> 1] ?? null;
}

/** True when node `x` holds no value. */
export function isBlank(tree: RatchetTree, x: NodeIndex | number): boolean {
  return (x & 1) === 0 ? tree.leaves[x >> 1] == null : tree.parents[x >> 1] == null;
}

/** HPKE public key of node `x`, or null when blank. */
export function getEncryptionKey(tree: RatchetTree, x: NodeIndex | number): Uint8Array | null {
  const n = (x & 1) === 0 ? tree.leaves[x >> 1] : tree.parents[x >> 1];
  return n ? n.encryptionKey : null;
}

/** Indices of the non-blank leaves, in order. */
export function listMembers(tree: RatchetTree): LeafIndex[] {
  const out: LeafIndex[] = [];
  tree.leaves.forEach((l, i) => {
    if (l) out.push(i as LeafIndex);
  });
  return out;
}

/** A one-member tree holding `leaf` at leaf 0 (the creator of a group). */
export function createRatchetTree(leaf: LeafNode): RatchetTree {
  return { leafCount: 1, leaves: [leaf], parents: [], hashCache: { suite: null, hashes: [undefined] } };
}

/**
 * Mutable working copy of a tree used inside this package to apply several edits with one copy.
 * `finish()` hands out the new immutable value; the draft must not be used afterwards.
 */
export class TreeDraft {
  leafCount: number;
  readonly leaves: (LeafNode | null)[];
  readonly parents: (ParentNode | null)[];
  readonly cache: TreeHashCache;

  constructor(tree: RatchetTree) {
    this.leafCount = tree.leafCount;
    this.leaves = tree.leaves.slice();
    this.parents = tree.parents.slice();
    this.cache = { suite: tree.hashCache.suite, hashes: tree.hashCache.hashes.slice() };
  }

  /** Forgets the cached hashes of `x` and its ancestors. */
  private invalidate(x: number): void {
    this.cache.hashes[x] = undefined;
    for (const p of directPath(x as NodeIndex, this.leafCount)) this.cache.hashes[p] = undefined;
  }

  setLeaf(l: number, leaf: LeafNode | null): void {
    this.leaves[l] = leaf;
    this.invalidate(2 * l);
  }

  setParent(x: number, node: ParentNode | null): void {
    this.parents[x >> 1] = node;
    this.invalidate(x);
  }

  getParent(x: number): ParentNode | null {
    return this.parents[x >> 1] ?? null;
  }

  /** Blanks every parent on the direct path of leaf `l` (RFC 9420 sections 7.4, 12.1.2, 12.1.3). */
  blankDirectPath(l: number): void {
    for (const p of directPath(leafToNode(l as LeafIndex), this.leafCount)) {
      if (this.parents[p >> 1] !== null) this.setParent(p, null);
    }
  }

  /** Doubles the tree: the old tree becomes the left subtree of a new blank root (section 7.7). */
  extend(): void {
    if (this.leafCount * 2 > MAX_LEAVES) throw new MlsError('tree_too_large', `a tree may not grow beyond ${MAX_LEAVES} leaves`);
    const n = this.leafCount;
    for (let i = 0; i < n; i++) this.leaves.push(null);
    for (let i = 0; i < n; i++) this.parents.push(null);
    for (let i = 0; i < 2 * n; i++) this.cache.hashes.push(undefined);
    this.leafCount = 2 * n;
  }

  /** Halves the tree while its right subtree is entirely blank (section 7.7). */
  truncate(): void {
    while (this.leafCount > 1) {
      const half = this.leafCount / 2;
      let empty = true;
      for (let i = half; i < this.leafCount && empty; i++) if (this.leaves[i] !== null) empty = false;
      // parents[half - 1] is the root; the right subtree's parents follow it.
      for (let j = half; j < this.leafCount - 1 && empty; j++) if (this.parents[j] !== null) empty = false;
      if (!empty) break;
      this.leaves.length = half;
      this.parents.length = half - 1;
      this.cache.hashes.length = 2 * half - 1;
      this.leafCount = half;
    }
  }

  finish(): RatchetTree {
    return { leafCount: this.leafCount, leaves: this.leaves, parents: this.parents, hashCache: this.cache };
  }
}

/** Smallest power of two >= n (n >= 1). */
function leafCountFor(nodeCount: number): number {
  let leaves = 1;
  while (2 * leaves - 1 < nodeCount) leaves *= 2;
  return leaves;
}

/**
 * Builds a tree from a ratchet_tree node list (RFC 9420 section 12.4.3.3): the last node must be
 * non-blank, and the list is padded with blanks to the full width 2^(d+1)-1.
 */
export function ratchetTreeFromNodes(nodes: readonly (Node | null)[]): RatchetTree {
  if (nodes.length === 0) throw new MlsError('tree_empty', 'the ratchet tree has no nodes');
  if (nodes[nodes.length - 1] === null) {
    throw new MlsError('tree_not_truncated', 'the last node of a serialized ratchet tree must not be blank');
  }
  const leafCount = leafCountFor(nodes.length);
  if (leafCount > MAX_LEAVES) throw new MlsError('tree_too_large', `the ratchet tree has more than ${MAX_LEAVES} leaves`);
  const leaves: (LeafNode | null)[] = new Array<LeafNode | null>(leafCount).fill(null);
  const parents: (ParentNode | null)[] = new Array<ParentNode | null>(leafCount - 1).fill(null);
  nodes.forEach((n, x) => {
    if (n === null) return;
    const atLeaf = x % 2 === 0;
    if (n.nodeType === 'leaf' && atLeaf) leaves[x >> 1] = n.leafNode;
    else if (n.nodeType === 'parent' && !atLeaf) parents[x >> 1] = n.parentNode;
    else throw new MlsError('tree_node_type_mismatch', `node ${x} is a ${n.nodeType} node at a ${atLeaf ? 'leaf' : 'parent'} position`);
  });
  return { leafCount, leaves, parents, hashCache: { suite: null, hashes: new Array<Uint8Array | undefined>(2 * leafCount - 1) } };
}

/** The truncated ratchet_tree node list of a tree: trailing blank nodes are left out. */
export function ratchetTreeToNodes(tree: RatchetTree): (Node | null)[] {
  const width = treeWidth(tree);
  let last = width - 1;
  while (last > 0 && isBlank(tree, last)) last--;
  const out: (Node | null)[] = [];
  for (let x = 0; x <= last; x++) {
    if ((x & 1) === 0) {
      const leaf = tree.leaves[x >> 1] ?? null;
      out.push(leaf ? { nodeType: 'leaf', leafNode: leaf } : null);
    } else {
      const parent = tree.parents[x >> 1] ?? null;
      out.push(parent ? { nodeType: 'parent', parentNode: parent } : null);
    }
  }
  return out;
}

/** Reads a ratchet_tree and loads it as a full tree (see ratchetTreeFromNodes). */
export function readRatchetTree(r: Reader): RatchetTree {
  return ratchetTreeFromNodes(readRatchetTreeNodes(r));
}

/** Strictly decodes a serialized ratchet_tree and loads it padded to the full width. */
export function decodeRatchetTree(bytes: Uint8Array): RatchetTree {
  return decode(bytes, readRatchetTree);
}

/** Serializes a tree as a truncated ratchet_tree (the ratchet_tree extension's data). */
export function encodeRatchetTree(tree: RatchetTree): Uint8Array {
  return encode((w) => writeRatchetTreeNodes(w, ratchetTreeToNodes(tree)));
}
