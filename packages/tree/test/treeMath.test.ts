import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  TreeMathError, commonAncestor, copath, directPath, isInSubtree, leafIndex, leafToNode, left, level, nodeIndex, nodeToLeaf, parent, right, root, sibling,
} from '../src/index.ts';

const sizeArb = fc.integer({ min: 0, max: 12 }).map((k) => 2 ** k);

describe('tree math invariants (RFC 9420 Appendix C)', () => {
  it('children of a parent name it as their parent, and siblings pair up', () => {
    fc.assert(
      fc.property(sizeArb, fc.nat(), (n, seed) => {
        const width = 2 * n - 1;
        const x = nodeIndex(seed % width);
        if (level(x) > 0) {
          expect(parent(left(x), n)).toBe(x);
          expect(parent(right(x), n)).toBe(x);
          expect(sibling(left(x), n)).toBe(right(x));
        }
      }),
    );
  });

  it('a direct path ends at the root and the copath has the same length', () => {
    fc.assert(
      fc.property(sizeArb, fc.nat(), (n, seed) => {
        const l = leafIndex(seed % n);
        const x = leafToNode(l);
        const dp = directPath(x, n);
        expect(dp.length).toBe(Math.log2(n));
        expect(copath(x, n).length).toBe(dp.length);
        if (dp.length > 0) expect(dp[dp.length - 1]).toBe(root(n));
        for (const p of dp) expect(isInSubtree(x, p)).toBe(true);
        expect(nodeToLeaf(x)).toBe(l);
      }),
    );
  });

  it('the common ancestor of two leaves is on both direct paths', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }).map((k) => 2 ** k), fc.nat(), fc.nat(), (n, a, b) => {
        const x = leafToNode(leafIndex(a % n));
        const y = leafToNode(leafIndex(b % n));
        if (x === y) return;
        const c = commonAncestor(x, y);
        expect(directPath(x, n)).toContain(c);
        expect(directPath(y, n)).toContain(c);
      }),
    );
  });

  it('isInSubtree matches the set of nodes reached by walking down from y', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }).map((k) => 2 ** k), fc.nat(), fc.nat(), (n, a, b) => {
        const width = 2 * n - 1;
        const x = nodeIndex(a % width);
        const y = nodeIndex(b % width);
        const below = new Set<number>();
        const walk = (z: ReturnType<typeof nodeIndex>): void => {
          below.add(z);
          if (level(z) > 0) {
            walk(left(z));
            walk(right(z));
          }
        };
        walk(y);
        expect(isInSubtree(x, y)).toBe(below.has(x));
      }),
    );
    // The neighbour just past a subtree's right edge is outside it.
    expect(isInSubtree(nodeIndex(3), nodeIndex(1))).toBe(false);
    expect(isInSubtree(nodeIndex(2047), nodeIndex(1023))).toBe(false);
  });

  it('rejects positions that do not exist with TreeMathError', () => {
    expect(() => parent(root(8), 8)).toThrow(TreeMathError);
    expect(() => left(nodeIndex(4))).toThrow(TreeMathError);
    expect(() => nodeToLeaf(nodeIndex(3))).toThrow(TreeMathError);
    expect(() => root(0)).toThrow(TreeMathError);
    expect(() => directPath(nodeIndex(15), 8)).toThrow(TreeMathError);
    expect(() => leafIndex(-1)).toThrow(TreeMathError);
    expect(() => nodeIndex(1.5)).toThrow(TreeMathError);
  });
});
