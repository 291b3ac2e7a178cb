// RFC 9420 Appendix C: the array representation of a left-balanced binary tree.
// Leaves sit at even node indices, parents at odd ones; a tree of n leaves (a power of two in
// RFC 9420, which doubles the tree when it grows) has 2n - 1 nodes and its root at n - 1.

declare const nodeBrand: unique symbol;
declare const leafBrand: unique symbol;

/** Index of a node in the array tree (leaves even, parents odd). */
export type NodeIndex = number & { readonly [nodeBrand]: true };
/** Index of a leaf among the leaves (leaf i is node 2i). */
export type LeafIndex = number & { readonly [leafBrand]: true };

/** Thrown when a tree-math function is given an index or size that does not describe a valid tree position. */
export class TreeMathError extends RangeError {
  override readonly name = 'TreeMathError';
}

function checkIndex(x: number, what: string): void {
  if (!Number.isInteger(x) || x < 0 || x > 0x7ffffffe) throw new TreeMathError(`${what} ${x} is not a valid index`);
}

/** Brands a number as a node index after checking it. */
export function nodeIndex(x: number): NodeIndex {
  checkIndex(x, 'node index');
  return x as NodeIndex;
}

/** Brands a number as a leaf index after checking it. */
export function leafIndex(x: number): LeafIndex {
  checkIndex(x, 'leaf index');
  return x as LeafIndex;
}

/** Node index of leaf `l`. */
export function leafToNode(l: LeafIndex): NodeIndex {
  return (l * 2) as NodeIndex;
}

/** Leaf index of node `x`; throws if `x` is a parent node. */
export function nodeToLeaf(x: NodeIndex): LeafIndex {
  if (x % 2 !== 0) throw new TreeMathError(`node ${x} is a parent, not a leaf`);
  return (x / 2) as LeafIndex;
}

/** True when node `x` is a leaf. */
export function isLeaf(x: NodeIndex): boolean {
  return x % 2 === 0;
}

/** Number of nodes in a tree of `nLeaves` leaves. */
export function nodeWidth(nLeaves: number): number {
  return nLeaves === 0 ? 0 : 2 * (nLeaves - 1) + 1;
}

/** Exponent of the largest power of two at or below x (log2(0) is 0). */
export function log2(x: number): number {
  if (x === 0) return 0;
  return 31 - Math.clz32(x);
}

/** Level of node x: 0 for leaves, the count of trailing 1 bits otherwise. */
export function level(x: NodeIndex): number {
  if ((x & 1) === 0) return 0;
  let k = 0;
  while (((x >> k) & 1) === 1) k++;
  return k;
}

/** Root node of a tree with `nLeaves` leaves. */
export function root(nLeaves: number): NodeIndex {
  if (!Number.isInteger(nLeaves) || nLeaves < 1) throw new TreeMathError(`a tree needs at least one leaf, not ${nLeaves}`);
  return ((1 << log2(nodeWidth(nLeaves))) - 1) as NodeIndex;
}

/** Left child of parent node x. */
export function left(x: NodeIndex): NodeIndex {
  const k = level(x);
  if (k === 0) throw new TreeMathError(`leaf node ${x} has no children`);
  return (x ^ (1 << (k - 1))) as NodeIndex;
}

/** Right child of parent node x. */
export function right(x: NodeIndex): NodeIndex {
  const k = level(x);
  if (k === 0) throw new TreeMathError(`leaf node ${x} has no children`);
  return (x ^ (3 << (k - 1))) as NodeIndex;
}

/** Parent of node x in a tree of `nLeaves` leaves; throws for the root. */
export function parent(x: NodeIndex, nLeaves: number): NodeIndex {
  if (x === root(nLeaves)) throw new TreeMathError(`root node ${x} has no parent`);
  if (x >= nodeWidth(nLeaves)) throw new TreeMathError(`node ${x} is outside a tree of ${nLeaves} leaves`);
  const k = level(x);
  const b = (x >> (k + 1)) & 1;
  return ((x | (1 << k)) ^ (b << (k + 1))) as NodeIndex;
}

/** Other child of x's parent. */
export function sibling(x: NodeIndex, nLeaves: number): NodeIndex {
  const p = parent(x, nLeaves);
  return x < p ? right(p) : left(p);
}

/** Nodes from x's parent up to and including the root (empty for the root). */
export function directPath(x: NodeIndex, nLeaves: number): NodeIndex[] {
  const r = root(nLeaves);
  if (x >= nodeWidth(nLeaves)) throw new TreeMathError(`node ${x} is outside a tree of ${nLeaves} leaves`);
  const path: NodeIndex[] = [];
  let cur = x;
  while (cur !== r) {
    cur = parent(cur, nLeaves);
    path.push(cur);
  }
  return path;
}

/** Siblings of x and of each node on its direct path except the root. */
export function copath(x: NodeIndex, nLeaves: number): NodeIndex[] {
  const r = root(nLeaves);
  if (x === r) return [];
  const nodes = [x, ...directPath(x, nLeaves)];
  nodes.pop();
  return nodes.map((y) => sibling(y, nLeaves));
}

/** True when node x is in the subtree rooted at node y (which spans y - 2^k + 1 .. y + 2^k - 1 for k = level(y)). */
export function isInSubtree(x: NodeIndex, y: NodeIndex): boolean {
  return Math.abs(x - y) < 2 ** level(y);
}

/** Lowest common ancestor of nodes x and y (RFC 9420 Appendix C, common_ancestor_direct). */
export function commonAncestor(x: NodeIndex, y: NodeIndex): NodeIndex {
  const lx = level(x) + 1;
  const ly = level(y) + 1;
  if (lx <= ly && x >> ly === y >> ly) return y;
  if (ly <= lx && x >> lx === y >> lx) return x;
  let xn = x as number;
  let yn = y as number;
  let k = 0;
  while (xn !== yn) {
    xn >>= 1;
    yn >>= 1;
    k++;
  }
  return ((xn << k) + (1 << (k - 1)) - 1) as NodeIndex;
}
