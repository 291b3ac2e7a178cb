// RFC 9420 section 7.2: LeafNode signatures over LeafNodeTBS, label "LeafNodeTBS".

import { bytesEqual } from '@weft/codec';
import { CryptoError, signWithLabel, startVerifyWithLabelBatch, verifyWithLabel, type CipherSuite, type PendingVerdicts } from '@weft/crypto';
import { attachLeafNodeSignature, encodeLeafNodeTBS, type LeafNode, type LeafNodeContent } from '../wire/leafNode.ts';

/** Signs a LeafNode; `groupId` and `leafIndex` are bound for the update and commit sources. */
export function signLeafNode(
  cs: CipherSuite,
  content: LeafNodeContent,
  signaturePrivateKey: Uint8Array,
  groupId: Uint8Array,
  leafIndex: number,
): LeafNode {
  const tbs = encodeLeafNodeTBS(content, groupId, leafIndex);
  return attachLeafNodeSignature(content, signWithLabel(cs, signaturePrivateKey, 'LeafNodeTBS', tbs), tbs, groupId);
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

/** A LeafNode signature check started ahead (startLeafNodeSignatureCheck), for that leaf, group and position only. */
export interface PendingLeafSignature {
  readonly leaf: LeafNode;
  readonly groupId: Uint8Array;
  readonly leafIndex: number;
  readonly verdict: PendingVerdicts;
}

/**
 * Starts verifying a LeafNode signature so that a provider which shares single checks with helper
 * threads can overlap it with other work (the node provider does not: measured, the hand-over
 * cost more than it saved, so the verify runs when the verdict is collected); verifyLeafNodeSignatureWith
 * collects it. Null when the TBS cannot be encoded.
 */
export function startLeafNodeSignatureCheck(cs: CipherSuite, leaf: LeafNode, groupId: Uint8Array, leafIndex: number): PendingLeafSignature | null {
  let tbs: Uint8Array;
  try {
    tbs = encodeLeafNodeTBS(leaf, groupId, leafIndex);
  } catch {
    return null; // checked the usual way later, which reports the problem where it always did
  }
  return { leaf, groupId, leafIndex, verdict: startVerifyWithLabelBatch(cs, [{ publicKey: leaf.signatureKey, label: 'LeafNodeTBS', content: tbs, signature: leaf.signature }]) };
}

/** verifyLeafNodeSignature, using `pending` when it was started for this very leaf, group and position. */
export function verifyLeafNodeSignatureWith(cs: CipherSuite, leaf: LeafNode, groupId: Uint8Array, leafIndex: number, pending: PendingLeafSignature | null | undefined): boolean {
  if (pending && pending.leaf === leaf && pending.leafIndex === leafIndex && bytesEqual(pending.groupId, groupId)) return pending.verdict.finish()[0] === true;
  return verifyLeafNodeSignature(cs, leaf, groupId, leafIndex);
}
