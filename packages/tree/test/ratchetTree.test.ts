import { readFileSync } from 'node:fs';
import { CodecError, encode, fromHex, toHex, utf8 } from '@weft/codec';
import { getCipherSuite } from '@weft/crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addLeaf,
  computeFilteredDirectPath,
  computeNodeTreeHash,
  computeResolution,
  computeTreeHash,
  createRatchetTree,
  decodeRatchetTree,
  decodeRatchetTreeNodes,
  encodeRatchetTree,
  leafIndex,
  MlsError,
  nodeIndex,
  ratchetTreeFromNodes,
  removeLeaf,
  signLeafNode,
  updateLeaf,
  validateRatchetTree,
  writeRatchetTreeNodes,
  type LeafNode,
  type Node,
  type ParentNode,
  type RatchetTree,
} from '../src/index.ts';

const cs = getCipherSuite(1, 'node');

/** An unsigned LeafNode whose keys are derived from `n` (enough for structure and hashing). */
function dummyLeaf(n: number): LeafNode {
  return {
    encryptionKey: Uint8Array.of(1, n & 0xff, n >> 8),
    signatureKey: Uint8Array.of(2, n & 0xff, n >> 8),
    credential: { credentialType: 'basic', identity: utf8(`member ${n}`) },
    capabilities: { versions: [1], cipherSuites: [1], extensions: [], proposals: [], credentials: [1] },
    leafNodeSource: { type: 'key_package', lifetime: { notBefore: 0n, notAfter: 1000n } },
    extensions: [],
    signature: Uint8Array.of(3, n & 0xff),
  };
}

function dummyParent(n: number, unmergedLeaves: number[] = []): ParentNode {
  return { encryptionKey: Uint8Array.of(4, n), parentHash: new Uint8Array(0), unmergedLeaves };
}

function treeOf(nodes: (LeafNode | ParentNode | null)[]): RatchetTree {
  return ratchetTreeFromNodes(
    nodes.map((n, x): Node | null => (n === null ? null : x % 2 === 0 ? { nodeType: 'leaf', leafNode: n as LeafNode } : { nodeType: 'parent', parentNode: n as ParentNode })),
  );
}

describe('ratchet tree structure', () => {
  it('adds at the leftmost blank leaf, doubling the tree when full, and records unmerged leaves', () => {
    let t = createRatchetTree(dummyLeaf(0));
    t = addLeaf(t, dummyLeaf(1)).tree;
    expect(t.leafCount).toBe(2);
    const r = addLeaf(t, dummyLeaf(2));
    expect(r.leafIndex).toBe(2);
    expect(r.tree.leafCount).toBe(4);
    // A non-blank parent on the new leaf's direct path lists it as unmerged.
    const base = treeOf([dummyLeaf(0), dummyParent(1), null, dummyParent(3, [2]), dummyLeaf(2)]);
    const added = addLeaf(base, dummyLeaf(1));
    expect(added.leafIndex).toBe(1);
    expect(added.tree.parents[0]?.unmergedLeaves).toEqual([1]);
    expect(added.tree.parents[1]?.unmergedLeaves).toEqual([2, 1]);
    expect(base.parents[1]?.unmergedLeaves).toEqual([2]); // input unchanged
  });

  it('computes resolutions: non-blank node plus unmerged leaves, blank parent as its children', () => {
    // 4 leaves: A _ C D, node 1 blank, node 3 (root) blank, node 5 = P with unmerged [3].
    const t = treeOf([dummyLeaf(0), null, null, null, dummyLeaf(2), dummyParent(5, [3]), dummyLeaf(3)]);
    expect(computeResolution(t, nodeIndex(5))).toEqual([5, 6]);
    expect(computeResolution(t, nodeIndex(1))).toEqual([0]);
    expect(computeResolution(t, nodeIndex(3))).toEqual([0, 5, 6]);
    expect(computeResolution(t, nodeIndex(2))).toEqual([]);
    expect(computeResolution(t, nodeIndex(3), new Set([3]))).toEqual([0, 5]);
    // Leaf 1's filtered direct path skips node 1 (its copath child, leaf 0, is non-blank so kept) ...
    expect(computeFilteredDirectPath(t, leafIndex(1))).toEqual([1, 3]);
    // ... while leaf 3's skips nothing either; leaf 0 with leaf 1 blank skips node 1.
    expect(computeFilteredDirectPath(t, leafIndex(0))).toEqual([3]);
  });

  it('removes a leaf, blanks its direct path and truncates the right subtree', () => {
    const t = treeOf([dummyLeaf(0), dummyParent(1), dummyLeaf(1), dummyParent(3), dummyLeaf(2)]);
    expect(t.leafCount).toBe(4);
    const r = removeLeaf(t, leafIndex(2));
    expect(r.leafCount).toBe(2);
    expect(r.parents[0]).not.toBeNull();
    const r2 = removeLeaf(r, leafIndex(1));
    expect(r2.leafCount).toBe(1);
    expect(encodeRatchetTree(r2)).toEqual(encode((w) => writeRatchetTreeNodes(w, [{ nodeType: 'leaf', leafNode: dummyLeaf(0) }])));
  });

  it('update replaces the leaf and blanks its direct path', () => {
    const t = treeOf([dummyLeaf(0), dummyParent(1), dummyLeaf(1), dummyParent(3), dummyLeaf(2), null, dummyLeaf(3)]);
    const u = updateLeaf(t, leafIndex(1), dummyLeaf(9));
    expect(u.parents[0]).toBeNull();
    expect(u.parents[1]).toBeNull();
    expect(u.leaves[1]).toEqual(dummyLeaf(9));
    expect(t.parents[0]).not.toBeNull(); // input unchanged
    expect(() => updateLeaf(t, leafIndex(7), dummyLeaf(9))).toThrow(expect.objectContaining({ code: 'leaf_index_out_of_range' }));
    expect(() => removeLeaf(treeOf([dummyLeaf(0), null, null, null, dummyLeaf(2)]), leafIndex(1))).toThrow(expect.objectContaining({ code: 'leaf_blank' }));
  });

  it('serializes truncated and loads padded; rejects untruncated, empty and misplaced nodes', () => {
    const t = treeOf([dummyLeaf(0), null, dummyLeaf(1), null, dummyLeaf(2)]);
    expect(t.leafCount).toBe(4);
    const bytes = encodeRatchetTree(t);
    expect(decodeRatchetTreeNodes(bytes)).toHaveLength(5);
    expect(encodeRatchetTree(decodeRatchetTree(bytes))).toEqual(bytes);
    const trailingBlank = encode((w) => writeRatchetTreeNodes(w, [{ nodeType: 'leaf', leafNode: dummyLeaf(0) }, null, null]));
    expect(() => decodeRatchetTree(trailingBlank)).toThrow(expect.objectContaining({ code: 'tree_not_truncated' }));
    expect(() => decodeRatchetTree(Uint8Array.of(0))).toThrow(expect.objectContaining({ code: 'tree_empty' }));
    const misplaced = encode((w) => writeRatchetTreeNodes(w, [{ nodeType: 'parent', parentNode: dummyParent(1) }]));
    expect(() => decodeRatchetTree(misplaced)).toThrow(CodecError);
  });

  it('incremental tree hashes equal hashes computed from scratch after any edit sequence', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), n: fc.integer({ min: 0, max: 999 }) }),
      fc.record({ kind: fc.constant('update' as const), n: fc.integer({ min: 0, max: 999 }), at: fc.nat() }),
      fc.record({ kind: fc.constant('remove' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('parent' as const), n: fc.integer({ min: 0, max: 255 }), at: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        let t = createRatchetTree(dummyLeaf(1000));
        computeTreeHash(cs, t);
        for (const o of ops) {
          const members = t.leaves.flatMap((l, i) => (l ? [i] : []));
          if (o.kind === 'add') t = addLeaf(t, dummyLeaf(o.n)).tree;
          else if (members.length === 0) continue;
          else if (o.kind === 'update') t = updateLeaf(t, leafIndex(members[o.at % members.length]!), dummyLeaf(o.n));
          else if (o.kind === 'remove') {
            if (members.length > 1) t = removeLeaf(t, leafIndex(members[o.at % members.length]!));
          } else if (t.parents.length > 0) {
            // Set a parent through the wire format (the only public way to place one).
            const nodes = decodeRatchetTreeNodes(encodeRatchetTree(t));
            const x = 2 * (o.at % t.parents.length) + 1;
            while (nodes.length <= x + 1) nodes.push(null);
            nodes[x] = { nodeType: 'parent', parentNode: dummyParent(o.n) };
            if (nodes[nodes.length - 1] === null) nodes[nodes.length - 1] = { nodeType: 'leaf', leafNode: dummyLeaf(o.n + 2000) };
            const before = t;
            t = ratchetTreeFromNodes(nodes);
            computeTreeHash(cs, before);
          }
          computeTreeHash(cs, t); // fill the cache so later edits must invalidate it correctly
        }
        const fresh = decodeRatchetTree(encodeRatchetTree(t));
        for (let x = 0; x < 2 * t.leafCount - 1; x++) {
          expect(toHex(computeNodeTreeHash(cs, t, nodeIndex(x)))).toBe(toHex(computeNodeTreeHash(cs, fresh, nodeIndex(x))));
        }
      }),
      { numRuns: 150 },
    );
  });
});

// --- Bad input: mutations of a real 8-member tree from treekem.json (suite 1) ---------------------

interface LeafPrivate {
  index: number;
  signature_priv: string;
}
const kemCases = JSON.parse(readFileSync(new URL('../../../vectors/mls/treekem.json', import.meta.url), 'utf8')) as Record<string, unknown>[];
const full = kemCases.find((c) => c.cipher_suite === 1 && (c.leaves_private as unknown[]).length === 8)!;
const groupId = fromHex(String(full.group_id));
const treeBytes = fromHex(String(full.ratchet_tree));
const sigPriv = new Map((full.leaves_private as LeafPrivate[]).map((l) => [l.index, fromHex(l.signature_priv)]));

/** Decodes the vector tree, lets `edit` change the node list, and loads the result. */
function mutate(edit: (nodes: (Node | null)[]) => void): RatchetTree {
  const nodes = decodeRatchetTreeNodes(treeBytes);
  edit(nodes);
  return ratchetTreeFromNodes(nodes);
}

function leafAt(nodes: (Node | null)[], l: number): LeafNode {
  const n = nodes[2 * l];
  if (!n || n.nodeType !== 'leaf') throw new Error(`leaf ${l} is blank`);
  return n.leafNode;
}

/** Replaces leaf `l` with `changes` applied and a valid signature (so only the intended rule breaks). */
function resign(nodes: (Node | null)[], l: number, changes: Partial<LeafNode>): void {
  const { signature: _old, ...content } = { ...leafAt(nodes, l), ...changes };
  nodes[2 * l] = { nodeType: 'leaf', leafNode: signLeafNode(cs, content, sigPriv.get(l)!, groupId, l) };
}

function expectRejected(tree: RatchetTree, code: string): void {
  const before = toHex(encodeRatchetTree(tree));
  let caught: unknown;
  try {
    validateRatchetTree(cs, tree, groupId);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(MlsError);
  expect((caught as MlsError).code).toBe(code);
  expect(toHex(encodeRatchetTree(tree))).toBe(before); // the input value is unchanged
}

describe('ratchet tree validation rejects tampered trees with specific errors', () => {
  it('accepts the untouched tree', () => {
    const t = decodeRatchetTree(treeBytes);
    expect(() => validateRatchetTree(cs, t, groupId, { expectedTreeHash: computeTreeHash(cs, t) })).not.toThrow();
    expect(() => validateRatchetTree(cs, t, groupId, { expectedTreeHash: new Uint8Array(32) })).toThrow(
      expect.objectContaining({ code: 'tree_hash_mismatch' }),
    );
  });

  it('a changed parent_hash of a parent node is parent_hash_invalid', () => {
    const t = mutate((nodes) => {
      const n = nodes[3];
      if (!n || n.nodeType !== 'parent') throw new Error('node 3 should be a parent');
      const ph = n.parentNode.parentHash.slice();
      ph[0] = (ph[0]! ^ 1) & 0xff;
      nodes[3] = { nodeType: 'parent', parentNode: { ...n.parentNode, parentHash: ph } };
    });
    expectRejected(t, 'parent_hash_invalid');
  });

  it('a changed parent encryption key is parent_hash_invalid', () => {
    const t = mutate((nodes) => {
      const n = nodes[7];
      if (!n || n.nodeType !== 'parent') throw new Error('node 7 should be a parent');
      nodes[7] = { nodeType: 'parent', parentNode: { ...n.parentNode, encryptionKey: cs.kemGenerateKeyPair().publicKey } };
    });
    expectRejected(t, 'parent_hash_invalid');
  });

  it('a re-signed leaf with a new key breaks its ancestors parent hashes', () => {
    const t = mutate((nodes) => resign(nodes, 5, { encryptionKey: cs.kemGenerateKeyPair().publicKey }));
    expectRejected(t, 'parent_hash_invalid');
  });

  it('a corrupted leaf signature is leaf_signature_invalid', () => {
    const t = mutate((nodes) => {
      const leaf = leafAt(nodes, 2);
      const sig = leaf.signature.slice();
      sig[10] = (sig[10]! ^ 0x40) & 0xff;
      nodes[4] = { nodeType: 'leaf', leafNode: { ...leaf, signature: sig } };
    });
    expectRejected(t, 'leaf_signature_invalid');
  });

  it('two leaves with one encryption key are duplicate_encryption_key', () => {
    const t = mutate((nodes) => resign(nodes, 1, { encryptionKey: leafAt(nodes, 0).encryptionKey }));
    expectRejected(t, 'duplicate_encryption_key');
  });

  it('a parent reusing a leaf encryption key is duplicate_encryption_key', () => {
    const t = mutate((nodes) => {
      const n = nodes[1];
      if (!n || n.nodeType !== 'parent') throw new Error('node 1 should be a parent');
      nodes[1] = { nodeType: 'parent', parentNode: { ...n.parentNode, encryptionKey: leafAt(nodes, 3).encryptionKey } };
    });
    expectRejected(t, 'duplicate_encryption_key');
  });

  it('two leaves with one signature key are duplicate_signature_key', () => {
    const t = mutate((nodes) => {
      nodes[2] = { nodeType: 'leaf', leafNode: { ...leafAt(nodes, 1), signatureKey: leafAt(nodes, 0).signatureKey } };
    });
    expectRejected(t, 'duplicate_signature_key');
  });

  it('an unmerged leaf outside the parent subtree is unmerged_leaves_invalid', () => {
    const t = mutate((nodes) => {
      const n = nodes[1];
      if (!n || n.nodeType !== 'parent') throw new Error('node 1 should be a parent');
      nodes[1] = { nodeType: 'parent', parentNode: { ...n.parentNode, unmergedLeaves: [5] } };
    });
    expectRejected(t, 'unmerged_leaves_invalid');
  });
});

describe('ratchet tree decoding and validation of arbitrary mutations', () => {
  it('mutated serialized trees fail with CodecError or MlsError, never a raw TypeError/RangeError', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: treeBytes.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
        (edits) => {
          const bytes = treeBytes.slice();
          for (const [pos, val] of edits) bytes[pos] = val;
          try {
            validateRatchetTree(cs, decodeRatchetTree(bytes), groupId);
          } catch (err) {
            return err instanceof CodecError || err instanceof MlsError;
          }
          return true;
        },
      ),
      { numRuns: 400 },
    );
  });
});
