import { nodeIndex, left, right, parent, sibling, root, nodeWidth, level, type NodeIndex } from '@weft/tree';
import { expectEqual, VectorMismatch, type VectorChecker, type VectorCase } from '../checker.ts';

/** Applies `f` to node x, mapping "no such node" (TreeMathError) to null as the vectors do. */
function orNull(f: () => NodeIndex): number | null {
  try {
    return f();
  } catch (err) {
    if (err instanceof RangeError) return null;
    throw err;
  }
}

function compareArray(name: string, expected: unknown, compute: (x: NodeIndex) => number | null, width: number): void {
  if (!Array.isArray(expected) || expected.length !== width) {
    throw new VectorMismatch(`${name}: expected an array of ${width} entries`);
  }
  for (let i = 0; i < width; i++) expectEqual(`${name}[${i}]`, compute(nodeIndex(i)), expected[i]);
}

/** RFC 9420 Appendix C tree math against tree-math.json. */
export const checker: VectorChecker = {
  file: 'tree-math.json',
  usesProvider: false,
  suiteOf: () => null,
  check(tc: VectorCase): void {
    const n = Number(tc.n_leaves);
    const width = nodeWidth(n);
    expectEqual('n_nodes', width, tc.n_nodes);
    expectEqual('root', root(n), tc.root);
    compareArray('left', tc.left, (x) => (level(x) === 0 ? null : left(x)), width);
    compareArray('right', tc.right, (x) => (level(x) === 0 ? null : right(x)), width);
    compareArray('parent', tc.parent, (x) => orNull(() => parent(x, n)), width);
    compareArray('sibling', tc.sibling, (x) => orNull(() => sibling(x, n)), width);
  },
};
