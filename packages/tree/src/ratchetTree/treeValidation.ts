// RFC 9420 section 12.4.3.1 "Verify the integrity of the ratchet tree", as a joiner (or anyone
// holding only public data) runs it on a tree received in a Welcome or GroupInfo.

import { bytesEqual, toHex } from '@weft/codec';
import type { CipherSuite } from '@weft/crypto';
import { MlsError } from '../errors.ts';
import { directPath, isInSubtree, type NodeIndex } from '../treeMath.ts';
import { ExtensionType } from '../wire/extension.ts';
import type { LeafNode } from '../wire/leafNode.ts';
import { verifyLeafNodeSignature } from './leafNodeSignature.ts';
import { verifyParentHashes } from './parentHash.ts';
import type { RatchetTree } from './ratchetTree.ts';
import { computeTreeHash } from './treeHash.ts';

/** What validateRatchetTree checks beyond the tree itself. */
export interface TreeValidationOptions {
  /** When given, the root tree hash must equal it (GroupContext.tree_hash). */
  readonly expectedTreeHash?: Uint8Array;
}

const DEFAULT_EXTENSIONS: ReadonlySet<number> = new Set(Object.values(ExtensionType));

/**
 * Checks the unmerged_leaves rules: each entry is a non-blank leaf below the parent, and every
 * non-blank parent between that leaf and the parent lists it too.
 */
export function verifyUnmergedLeaves(tree: RatchetTree): void {
  tree.parents.forEach((node, j) => {
    if (!node) return;
    const p = (2 * j + 1) as NodeIndex;
    const seen = new Set<number>();
    for (const l of node.unmergedLeaves) {
      if (seen.has(l)) throw new MlsError('unmerged_leaves_invalid', `parent node ${p} lists leaf ${l} twice in unmerged_leaves`);
      seen.add(l);
      const x = (2 * l) as NodeIndex;
      if (l >= tree.leafCount || !isInSubtree(x, p)) {
        throw new MlsError('unmerged_leaves_invalid', `parent node ${p} lists leaf ${l}, which is not below it, as unmerged`);
      }
      if (!tree.leaves[l]) throw new MlsError('unmerged_leaves_invalid', `parent node ${p} lists blank leaf ${l} as unmerged`);
      for (const q of directPath(x, tree.leafCount)) {
        if (q === p) break;
        const between = tree.parents[q >> 1];
        if (between && !between.unmergedLeaves.includes(l)) {
          throw new MlsError('unmerged_leaves_invalid', `leaf ${l} is unmerged at node ${p} but not at node ${q} below it`);
        }
      }
    }
  });
}

/** Checks that no HPKE key appears twice in the tree and no signature key twice among the leaves. */
export function verifyUniqueKeys(tree: RatchetTree): void {
  const encryptionKeys = new Map<string, number>();
  const signatureKeys = new Map<string, number>();
  const width = 2 * tree.leafCount - 1;
  for (let x = 0; x < width; x++) {
    const node = (x & 1) === 0 ? tree.leaves[x >> 1] : tree.parents[x >> 1];
    if (!node) continue;
    const ek = toHex(node.encryptionKey);
    const prev = encryptionKeys.get(ek);
    if (prev !== undefined) throw new MlsError('duplicate_encryption_key', `nodes ${prev} and ${x} have the same encryption key`);
    encryptionKeys.set(ek, x);
    if ((x & 1) === 0) {
      const sk = toHex((node as LeafNode).signatureKey);
      const prevLeaf = signatureKeys.get(sk);
      if (prevLeaf !== undefined) {
        throw new MlsError('duplicate_signature_key', `leaves ${prevLeaf} and ${x >> 1} have the same signature key`);
      }
      signatureKeys.set(sk, x >> 1);
    }
  }
}

/**
 * The group-independent LeafNode checks of section 7.3 for a leaf already in a tree: signature
 * (LeafNodeTBS with group_id and leaf index for update/commit sources), non-default extensions
 * listed in its capabilities, its credential type listed in its capabilities.
 */
export function verifyTreeLeafNode(cs: CipherSuite, leaf: LeafNode, groupId: Uint8Array, leafIndex: number): void {
  if (!verifyLeafNodeSignature(cs, leaf, groupId, leafIndex)) {
    throw new MlsError('leaf_signature_invalid', `the signature of leaf ${leafIndex} does not verify`);
  }
  for (const e of leaf.extensions) {
    if (!DEFAULT_EXTENSIONS.has(e.extensionType) && !leaf.capabilities.extensions.includes(e.extensionType)) {
      throw new MlsError('capabilities_invalid', `leaf ${leafIndex} uses extension ${e.extensionType} without listing it in its capabilities`);
    }
  }
  const credentialType = leaf.credential.credentialType === 'basic' ? 1 : 2;
  if (!leaf.capabilities.credentials.includes(credentialType)) {
    throw new MlsError('capabilities_invalid', `leaf ${leafIndex} has a credential of type ${credentialType} its capabilities do not list`);
  }
}

/**
 * Full validation of a received tree (section 12.4.3.1): unmerged leaves consistent, keys unique,
 * every leaf signature valid, every non-blank parent parent-hash valid, and optionally the tree
 * hash. Throws MlsError with the first failure; the tree value is not changed.
 */
export function validateRatchetTree(cs: CipherSuite, tree: RatchetTree, groupId: Uint8Array, options: TreeValidationOptions = {}): void {
  verifyUnmergedLeaves(tree);
  verifyUniqueKeys(tree);
  tree.leaves.forEach((leaf, l) => {
    if (leaf) verifyTreeLeafNode(cs, leaf, groupId, l);
  });
  verifyParentHashes(cs, tree);
  if (options.expectedTreeHash && !bytesEqual(computeTreeHash(cs, tree), options.expectedTreeHash)) {
    throw new MlsError('tree_hash_mismatch', 'the tree hash of the ratchet tree does not match the GroupContext');
  }
}
