// A member's private view of the ratchet tree: the HPKE private keys of its own leaf and of the
// parents on its direct path that it knows (the tree invariant of RFC 9420 section 4.2).

import { bytesEqual } from '@weft/codec';
import type { CipherSuite } from '@weft/crypto';
import { MlsError } from '../errors.ts';
import { getEncryptionKey, type RatchetTree } from '../ratchetTree/ratchetTree.ts';
import { computeFilteredDirectPathSteps } from '../ratchetTree/resolution.ts';
import { commonAncestor, directPath, leafToNode, type LeafIndex, type NodeIndex } from '../treeMath.ts';
import { deriveNextPathSecret, deriveNodeKeyPairs } from './pathSecret.ts';

/** HPKE private keys a member holds, by node index (its leaf is node 2 * leafIndex). */
export interface TreePrivateKeys {
  readonly leafIndex: LeafIndex;
  readonly nodeKeys: ReadonlyMap<number, Uint8Array>;
}

/** Private state of a member that holds only its leaf key (a new joiner before any path secret). */
export function createTreePrivateKeys(leafIndex: LeafIndex, leafPrivateKey: Uint8Array): TreePrivateKeys {
  return { leafIndex, nodeKeys: new Map([[2 * leafIndex, leafPrivateKey]]) };
}

/**
 * Drops keys the member can no longer use: nodes that are blank in `tree` or not on its leaf or
 * direct path (they were blanked or replaced by Updates, Removes or commits).
 */
export function pruneTreePrivateKeys(tree: RatchetTree, keys: TreePrivateKeys): TreePrivateKeys {
  const own = new Set<number>([leafToNode(keys.leafIndex), ...directPath(leafToNode(keys.leafIndex), tree.leafCount)]);
  const nodeKeys = new Map<number, Uint8Array>();
  for (const [x, k] of keys.nodeKeys) if (own.has(x) && getEncryptionKey(tree, x) !== null) nodeKeys.set(x, k);
  return { leafIndex: keys.leafIndex, nodeKeys };
}

/**
 * Derives the keys of the nodes at and above `fromNode` on `senderLeaf`'s filtered direct path from
 * the path secret of `fromNode`, checking each against the tree. Used by a joiner with the
 * GroupSecrets path_secret (`fromNode` = common ancestor of its leaf and the committer's) and when
 * importing path secrets. Returns the new keys and the commit secret (the secret after the root).
 */
export function derivePathKeys(
  cs: CipherSuite,
  tree: RatchetTree,
  senderLeaf: LeafIndex,
  fromNode: NodeIndex,
  pathSecret: Uint8Array,
): { nodeKeys: Map<number, Uint8Array>; commitSecret: Uint8Array } {
  const steps = computeFilteredDirectPathSteps(tree, senderLeaf);
  const start = steps.findIndex((s) => s.node === fromNode);
  if (start < 0) {
    throw new MlsError('update_path_no_decryption_node', `node ${fromNode} is not on the filtered direct path of leaf ${senderLeaf}`);
  }
  const nodeKeys = new Map<number, Uint8Array>();
  const secrets: Uint8Array[] = [];
  let ps = pathSecret;
  for (let i = start; i < steps.length; i++) {
    secrets.push(ps);
    ps = deriveNextPathSecret(cs, ps);
  }
  deriveNodeKeyPairs(cs, secrets).forEach((kp, k) => {
    const x = (steps[start + k] as { node: NodeIndex }).node;
    const pub = getEncryptionKey(tree, x);
    if (pub === null || !bytesEqual(pub, kp.publicKey)) {
      throw new MlsError('private_key_mismatch', `the key derived for node ${x} does not match the tree's public key`);
    }
    nodeKeys.set(x, kp.privateKey);
  });
  return { nodeKeys, commitSecret: ps };
}

/**
 * Private state of a new member joining by Welcome (RFC 9420 section 12.4.3.1): its leaf key plus,
 * when the GroupSecrets carry a path_secret, the keys from the lowest common ancestor of its leaf
 * and the committer's (`signerLeaf`) up to the root.
 */
export function deriveJoinerPrivateKeys(
  cs: CipherSuite,
  tree: RatchetTree,
  myLeaf: LeafIndex,
  leafPrivateKey: Uint8Array,
  signerLeaf: LeafIndex,
  pathSecret: Uint8Array | null,
): TreePrivateKeys {
  const nodeKeys = new Map<number, Uint8Array>([[leafToNode(myLeaf), leafPrivateKey]]);
  if (pathSecret !== null) {
    const ancestor = commonAncestor(leafToNode(myLeaf), leafToNode(signerLeaf));
    for (const [x, k] of derivePathKeys(cs, tree, signerLeaf, ancestor, pathSecret).nodeKeys) nodeKeys.set(x, k);
  }
  return { leafIndex: myLeaf, nodeKeys };
}
