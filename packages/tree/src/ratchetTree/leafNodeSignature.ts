// RFC 9420 section 7.2: LeafNode signatures over LeafNodeTBS, label "LeafNodeTBS".

import { CryptoError, signWithLabel, verifyWithLabel, type CipherSuite } from '@weft/crypto';
import { encodeLeafNodeTBS, type LeafNode, type LeafNodeContent } from '../wire/leafNode.ts';

/** Signs a LeafNode; `groupId` and `leafIndex` are bound for the update and commit sources. */
export function signLeafNode(
  cs: CipherSuite,
  content: LeafNodeContent,
  signaturePrivateKey: Uint8Array,
  groupId: Uint8Array,
  leafIndex: number,
): LeafNode {
  const signature = signWithLabel(cs, signaturePrivateKey, 'LeafNodeTBS', encodeLeafNodeTBS(content, groupId, leafIndex));
  return { ...content, signature };
}

/** True when the LeafNode's signature verifies under its own signature_key (a malformed key is false). */
export function verifyLeafNodeSignature(cs: CipherSuite, leaf: LeafNode, groupId: Uint8Array, leafIndex: number): boolean {
  try {
    return verifyWithLabel(cs, leaf.signatureKey, 'LeafNodeTBS', encodeLeafNodeTBS(leaf, groupId, leafIndex), leaf.signature);
  } catch (err) {
    if (err instanceof CryptoError) return false;
    throw err;
  }
}
