import { readFileSync } from 'node:fs';
import { fromHex, toHex } from '@weft/codec';
import { getCipherSuite } from '@weft/crypto';
import { describe, expect, it } from 'vitest';
import {
  addLeaf,
  commonAncestor,
  computeTreeHash,
  createUpdatePath,
  decodeRatchetTree,
  deriveJoinerPrivateKeys,
  deriveNodeKeyPair,
  encodeRatchetTree,
  leafIndex,
  leafToNode,
  mergeUpdatePath,
  MlsError,
  processUpdatePath,
  selectJoinerPathSecret,
  validateRatchetTree,
  type ProvisionalGroupContext,
  type TreePrivateKeys,
  type LeafNode,
  type UpdatePath,
} from '../src/index.ts';
import { codeOf } from './support/codeOf.ts';

const cs = getCipherSuite(1, 'node');

interface LeafPrivate {
  index: number;
  encryption_priv: string;
  signature_priv: string;
  path_secrets: { node: number; path_secret: string }[];
}
const kemCases = JSON.parse(readFileSync(new URL('../../../vectors/mls/treekem.json', import.meta.url), 'utf8')) as Record<string, unknown>[];
const tc = kemCases.find((c) => c.cipher_suite === 1 && (c.leaves_private as unknown[]).length === 8)!;
const tree = decodeRatchetTree(fromHex(String(tc.ratchet_tree)));
const groupId = fromHex(String(tc.group_id));
const groupContext: ProvisionalGroupContext = {
  cipherSuite: 1,
  groupId,
  epoch: BigInt(Number(tc.epoch)),
  confirmedTranscriptHash: fromHex(String(tc.confirmed_transcript_hash)),
  extensions: [],
};
const leaves = tc.leaves_private as LeafPrivate[];

function privateKeysOf(l: number): TreePrivateKeys {
  const lp = leaves.find((x) => x.index === l)!;
  const nodeKeys = new Map<number, Uint8Array>([[2 * l, fromHex(lp.encryption_priv)]]);
  for (const p of lp.path_secrets) nodeKeys.set(p.node, deriveNodeKeyPair(cs, fromHex(p.path_secret)).privateKey);
  return { leafIndex: leafIndex(l), nodeKeys };
}


const sender = leafIndex(2);
const fresh = createUpdatePath(cs, { tree, senderLeaf: sender, signaturePrivateKey: fromHex(leaves[2]!.signature_priv), groupContext });

describe('TreeKEM', () => {
  it('a created path leaves a valid tree and every member derives the same commit secret', () => {
    expect(() => validateRatchetTree(cs, fresh.tree, groupId)).not.toThrow();
    for (const l of [0, 1, 3, 4, 5, 6, 7]) {
      const r = processUpdatePath(cs, { tree, senderLeaf: sender, updatePath: fresh.updatePath, groupContext, privateKeys: privateKeysOf(l) });
      expect(toHex(r.commitSecret)).toBe(toHex(fresh.commitSecret));
      expect(toHex(computeTreeHash(cs, r.tree))).toBe(toHex(fresh.groupContext.treeHash));
      // The member can process a following commit with its new keys.
      expect(r.privateKeys.nodeKeys.has(r.pathSecretNode)).toBe(true);
    }
  });

  it('a joiner derives from the path secret of the common ancestor the same keys as a member', () => {
    const me = leafIndex(6);
    const ancestor = commonAncestor(leafToNode(me), leafToNode(sender));
    const joined = deriveJoinerPrivateKeys(cs, fresh.tree, me, fromHex(leaves[6]!.encryption_priv), sender, fresh.pathSecrets.get(ancestor)!);
    const member = processUpdatePath(cs, { tree, senderLeaf: sender, updatePath: fresh.updatePath, groupContext, privateKeys: privateKeysOf(6) });
    for (const [x, k] of joined.nodeKeys) expect(toHex(k)).toBe(toHex(member.privateKeys.nodeKeys.get(x)!));
  });

  it('leaves the input tree unchanged', () => {
    const before = toHex(encodeRatchetTree(tree));
    processUpdatePath(cs, { tree, senderLeaf: sender, updatePath: fresh.updatePath, groupContext, privateKeys: privateKeysOf(0) });
    expect(toHex(encodeRatchetTree(tree))).toBe(before);
  });

  it('rejects tampered UpdatePaths with specific errors', () => {
    const p = fresh.updatePath;
    const run = (updatePath: UpdatePath, l = 0) => () =>
      processUpdatePath(cs, { tree, senderLeaf: sender, updatePath, groupContext, privateKeys: privateKeysOf(l) });

    expect(codeOf(run({ ...p, nodes: p.nodes.slice(1) }))).toBe('update_path_length_mismatch');
    // A replaced node key no longer matches the parent hash the leaf signed.
    const swapped = p.nodes.map((n, i) => (i === 1 ? { ...n, encryptionKey: cs.kemGenerateKeyPair().publicKey } : n));
    expect(codeOf(run({ ...p, nodes: swapped }))).toBe('parent_hash_invalid');
    const sig = p.leafNode.signature.slice();
    sig[0] = (sig[0]! ^ 1) & 0xff;
    expect(codeOf(run({ ...p, leafNode: { ...p.leafNode, signature: sig } }))).toBe('leaf_signature_invalid');
    expect(codeOf(run({ ...p, leafNode: { ...p.leafNode, leafNodeSource: { type: 'update' } } }))).toBe('leaf_source_invalid');
    // Leaf 3 decrypts the first path node (node 5), whose copath child is leaf 3 itself: corrupt that ciphertext.
    const corrupted = p.nodes.map((n, i) =>
      i === 0 ? { ...n, encryptedPathSecret: n.encryptedPathSecret.map((c) => ({ ...c, ciphertext: c.ciphertext.map((b, j) => (j === 0 ? b ^ 1 : b)) })) } : n,
    );
    expect(codeOf(run({ ...p, nodes: corrupted }, 3))).toBe('update_path_decrypt_failed');
    const dropped = p.nodes.map((n, i) => (i === 0 ? { ...n, encryptedPathSecret: [] } : n));
    expect(codeOf(run({ ...p, nodes: dropped }, 3))).toBe('update_path_ciphertext_count_mismatch');
    // A wrong provisional context (another epoch) fails decryption.
    expect(codeOf(() => processUpdatePath(cs, { tree, senderLeaf: sender, updatePath: p, groupContext: { ...groupContext, epoch: 1n }, privateKeys: privateKeysOf(0) }))).toBe(
      'update_path_decrypt_failed',
    );
    // Someone holding no key for its resolution.
    const noKeys: TreePrivateKeys = { leafIndex: leafIndex(0), nodeKeys: new Map() };
    expect(codeOf(() => processUpdatePath(cs, { tree, senderLeaf: sender, updatePath: p, groupContext, privateKeys: noKeys }))).toBe('missing_private_key');
    expect(codeOf(() => mergeUpdatePath(cs, tree, sender, p, new Uint8Array(4)))).toBe('leaf_signature_invalid');
  });
});

describe('TreeKEM with a member added in the same commit', () => {
  it('encrypts to no one in the new subtree, and the joiner derives the root key from the Welcome path secret', () => {
    const joinerKeys = cs.kemGenerateKeyPair();
    const joinerLeaf: LeafNode = { ...tree.leaves[0]!, encryptionKey: joinerKeys.publicKey, signatureKey: cs.signatureGenerateKeyPair().publicKey };
    const added = addLeaf(tree, joinerLeaf);
    expect(added.leafIndex).toBe(8);
    expect(added.tree.leafCount).toBe(16);
    const created = createUpdatePath(cs, {
      tree: added.tree,
      senderLeaf: sender,
      signaturePrivateKey: fromHex(leaves[2]!.signature_priv),
      groupContext,
      excludedLeaves: [added.leafIndex],
    });
    // The new root's copath child holds only the joiner: it stays on the filtered path with no ciphertexts.
    const last = created.updatePath.nodes[created.updatePath.nodes.length - 1]!;
    expect(last.encryptedPathSecret).toHaveLength(0);
    for (const l of [0, 5, 7]) {
      const r = processUpdatePath(cs, {
        tree: added.tree,
        senderLeaf: sender,
        updatePath: created.updatePath,
        groupContext,
        excludedLeaves: [added.leafIndex],
        privateKeys: privateKeysOf(l),
      });
      expect(toHex(r.commitSecret)).toBe(toHex(created.commitSecret));
    }
    const joined = deriveJoinerPrivateKeys(cs, created.tree, added.leafIndex, joinerKeys.privateKey, sender, selectJoinerPathSecret(created, sender, added.leafIndex));
    expect(toHex(joined.nodeKeys.get(15)!)).toBe(toHex(created.privateKeys.nodeKeys.get(15)!));
    expect(() => validateRatchetTree(cs, created.tree, groupId)).toThrow(MlsError); // joinerLeaf carries leaf 0's signature
  });
});
