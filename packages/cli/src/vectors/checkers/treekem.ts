import { bytesEqual, fromHex, toHex } from '@weft/codec';
import type { CipherSuite } from '@weft/crypto';
import {
  computeTreeHash,
  createUpdatePath,
  decodeRatchetTree,
  decodeUpdatePath,
  deriveNodeKeyPair,
  getEncryptionKey,
  leafIndex,
  mergeUpdatePath,
  processUpdatePath,
  verifyParentHashes,
  type ProvisionalGroupContext,
  type RatchetTree,
  type TreePrivateKeys,
} from '@weft/tree';
import { expectEqual, VectorMismatch, type VectorCase, type VectorChecker } from '../checker.ts';

interface LeafPrivate {
  index: number;
  encryption_priv: string;
  signature_priv: string;
  path_secrets: { node: number; path_secret: string }[];
}

interface UpdatePathCase {
  sender: number;
  update_path: string;
  path_secrets: (string | null)[];
  commit_secret: string;
  tree_hash_after: string;
}

/** Loads a member's private keys from the vector, checking each against the tree's public keys. */
function loadPrivateKeys(cs: CipherSuite, tree: RatchetTree, lp: LeafPrivate): TreePrivateKeys {
  const nodeKeys = new Map<number, Uint8Array>();
  const leafPriv = fromHex(lp.encryption_priv);
  const leafPub = getEncryptionKey(tree, 2 * lp.index);
  if (!leafPub || !bytesEqual(cs.kemPublicKey(leafPriv), leafPub)) {
    throw new VectorMismatch(`leaf ${lp.index}: encryption_priv does not match the tree`);
  }
  nodeKeys.set(2 * lp.index, leafPriv);
  for (const { node, path_secret } of lp.path_secrets) {
    const kp = deriveNodeKeyPair(cs, fromHex(path_secret));
    const pub = getEncryptionKey(tree, node);
    if (!pub || !bytesEqual(pub, kp.publicKey)) throw new VectorMismatch(`leaf ${lp.index}: path secret of node ${node} does not match the tree`);
    nodeKeys.set(node, kp.privateKey);
  }
  return { leafIndex: leafIndex(lp.index), nodeKeys };
}

/** TreeKEM: merging and decrypting given UpdatePaths, then creating fresh ones (treekem.json). */
export const checker: VectorChecker = {
  file: 'treekem.json',
  usesProvider: true,
  suiteOf: (tc) => (typeof tc.cipher_suite === 'number' ? tc.cipher_suite : null),
  check(tc: VectorCase, cs: CipherSuite | null): void {
    if (!cs) throw new VectorMismatch('treekem needs a cipher suite');
    const tree = decodeRatchetTree(fromHex(String(tc.ratchet_tree)));
    const groupId = fromHex(String(tc.group_id));
    const groupContext: ProvisionalGroupContext = {
      cipherSuite: cs.id,
      groupId,
      epoch: BigInt(Number(tc.epoch)),
      confirmedTranscriptHash: fromHex(String(tc.confirmed_transcript_hash)),
      extensions: [],
    };
    const privates = (tc.leaves_private as LeafPrivate[]).map((lp) => ({ lp, keys: loadPrivateKeys(cs, tree, lp) }));
    const updatePaths = tc.update_paths as UpdatePathCase[];
    if (updatePaths.length === 0) throw new VectorMismatch('no update_paths');

    for (const up of updatePaths) {
      const sender = leafIndex(up.sender);
      const updatePath = decodeUpdatePath(fromHex(up.update_path));
      const merged = mergeUpdatePath(cs, tree, sender, updatePath, groupId);
      verifyParentHashes(cs, merged);
      expectEqual(`sender ${up.sender}: tree_hash_after`, toHex(computeTreeHash(cs, merged)), up.tree_hash_after);
      for (const { lp, keys } of privates) {
        if (lp.index === up.sender) continue;
        const r = processUpdatePath(cs, { tree, senderLeaf: sender, updatePath, groupContext, privateKeys: keys });
        expectEqual(`sender ${up.sender}, receiver ${lp.index}: path_secret`, toHex(r.pathSecret), up.path_secrets[lp.index]);
        expectEqual(`sender ${up.sender}, receiver ${lp.index}: commit_secret`, toHex(r.commitSecret), up.commit_secret);
        expectEqual(`sender ${up.sender}, receiver ${lp.index}: tree_hash_after`, toHex(computeTreeHash(cs, r.tree)), up.tree_hash_after);
      }

      // A fresh UpdatePath from the same sender must give every other member the same commit secret.
      const senderPrivate = privates.find((p) => p.lp.index === up.sender);
      if (!senderPrivate) throw new VectorMismatch(`no private state for sender ${up.sender}`);
      const fresh = createUpdatePath(cs, {
        tree,
        senderLeaf: sender,
        signaturePrivateKey: fromHex(senderPrivate.lp.signature_priv),
        groupContext,
      });
      verifyParentHashes(cs, fresh.tree);
      for (const { lp, keys } of privates) {
        if (lp.index === up.sender) continue;
        const r = processUpdatePath(cs, { tree, senderLeaf: sender, updatePath: fresh.updatePath, groupContext, privateKeys: keys });
        expectEqual(`fresh path from ${up.sender}, receiver ${lp.index}: commit_secret`, toHex(r.commitSecret), toHex(fresh.commitSecret));
        expectEqual(`fresh path from ${up.sender}, receiver ${lp.index}: tree hash`, toHex(computeTreeHash(cs, r.tree)), toHex(computeTreeHash(cs, fresh.tree)));
      }
    }
  },
};
