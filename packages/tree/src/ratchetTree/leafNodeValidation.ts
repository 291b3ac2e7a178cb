// RFC 9420 section 7.3 Leaf Node Validation, for a LeafNode arriving in an Add (KeyPackage), an
// Update or a commit's UpdatePath, checked against the group it is entering.

import { bytesEqual, CodecError, decode } from '@weft/codec';
import type { CipherSuite } from '@weft/crypto';
import { MlsError } from '../errors.ts';
import type { LeafIndex } from '../treeMath.ts';
import { readRequiredCapabilities } from '../wire/capabilities.ts';
import { ExtensionType, type Extension } from '../wire/extension.ts';
import type { LeafNode, LeafNodeSource } from '../wire/leafNode.ts';
import { verifyLeafNodeSignature } from './leafNodeSignature.ts';
import type { RatchetTree } from './ratchetTree.ts';

/** Where a LeafNode is being validated. */
export interface LeafNodeValidationContext {
  readonly groupId: Uint8Array;
  /** The source the LeafNode must have: key_package (Add), update (Update), commit (UpdatePath). */
  readonly source: LeafNodeSource['type'];
  /** The leaf it replaces (update, commit) or will occupy (key_package); excluded from the uniqueness checks. */
  readonly leafIndex: LeafIndex;
  /** The group's GroupContext extensions (for required_capabilities). */
  readonly groupContextExtensions: readonly Extension[];
  /** Seconds since the Unix epoch; when given, a key_package lifetime must contain it. */
  readonly now?: bigint;
}

const DEFAULT_EXTENSIONS: ReadonlySet<number> = new Set(Object.values(ExtensionType));
const DEFAULT_PROPOSALS: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 6, 7]);

function credentialTypeNumber(leaf: LeafNode): number {
  return leaf.credential.credentialType === 'basic' ? 1 : 2;
}

/**
 * Validates `leaf` for the group whose tree is `tree` (section 7.3): source, signature, lifetime,
 * extensions listed in its capabilities, required_capabilities, credential types supported both
 * ways, and signature_key / encryption_key unique among the other members (and, for an Update, a
 * new encryption_key). Throws MlsError naming the broken rule.
 */
export function validateLeafNode(cs: CipherSuite, tree: RatchetTree, leaf: LeafNode, ctx: LeafNodeValidationContext): void {
  const at = ctx.leafIndex;
  if (leaf.leafNodeSource.type !== ctx.source) {
    throw new MlsError('leaf_source_invalid', `the LeafNode has leaf_node_source ${leaf.leafNodeSource.type}, expected ${ctx.source}`);
  }
  if (!verifyLeafNodeSignature(cs, leaf, ctx.groupId, at)) {
    throw new MlsError('leaf_signature_invalid', `the signature of the LeafNode for leaf ${at} does not verify`);
  }
  if (ctx.now !== undefined && leaf.leafNodeSource.type === 'key_package') {
    const { notBefore, notAfter } = leaf.leafNodeSource.lifetime;
    if (ctx.now < notBefore || ctx.now > notAfter) {
      throw new MlsError('leaf_lifetime_invalid', `the LeafNode is valid from ${notBefore} to ${notAfter}, not at ${ctx.now}`);
    }
  }
  const caps = leaf.capabilities;
  for (const e of leaf.extensions) {
    if (!DEFAULT_EXTENSIONS.has(e.extensionType) && !caps.extensions.includes(e.extensionType)) {
      throw new MlsError('capabilities_invalid', `the LeafNode uses extension ${e.extensionType} without listing it in its capabilities`);
    }
  }
  const required = ctx.groupContextExtensions.find((e) => e.extensionType === ExtensionType.requiredCapabilities);
  if (required) {
    let rc;
    try {
      rc = decode(required.extensionData, readRequiredCapabilities);
    } catch (err) {
      if (err instanceof CodecError) throw new MlsError('capabilities_invalid', `the group's required_capabilities extension is malformed: ${err.message}`);
      throw err;
    }
    for (const t of rc.extensionTypes) {
      if (!DEFAULT_EXTENSIONS.has(t) && !caps.extensions.includes(t)) throw new MlsError('capabilities_invalid', `the LeafNode lacks required extension ${t}`);
    }
    for (const t of rc.proposalTypes) {
      if (!DEFAULT_PROPOSALS.has(t) && !caps.proposals.includes(t)) throw new MlsError('capabilities_invalid', `the LeafNode lacks required proposal type ${t}`);
    }
    for (const t of rc.credentialTypes) {
      if (!caps.credentials.includes(t)) throw new MlsError('capabilities_invalid', `the LeafNode lacks required credential type ${t}`);
    }
  }
  const myType = credentialTypeNumber(leaf);
  if (!caps.credentials.includes(myType)) {
    throw new MlsError('capabilities_invalid', `the LeafNode's credential type ${myType} is not in its own capabilities`);
  }
  const replaced = tree.leaves[at] ?? null;
  if (ctx.source === 'update' && replaced && bytesEqual(replaced.encryptionKey, leaf.encryptionKey)) {
    throw new MlsError('duplicate_encryption_key', `the Update for leaf ${at} keeps the old encryption key`);
  }
  tree.leaves.forEach((other, l) => {
    if (!other || l === at) return;
    if (!other.capabilities.credentials.includes(myType)) {
      throw new MlsError('capabilities_invalid', `member ${l} does not support credential type ${myType}`);
    }
    if (!caps.credentials.includes(credentialTypeNumber(other))) {
      throw new MlsError('capabilities_invalid', `the LeafNode does not support credential type ${credentialTypeNumber(other)} used by member ${l}`);
    }
    if (bytesEqual(other.signatureKey, leaf.signatureKey)) {
      throw new MlsError('duplicate_signature_key', `member ${l} already uses this signature key`);
    }
    if (bytesEqual(other.encryptionKey, leaf.encryptionKey)) {
      throw new MlsError('duplicate_encryption_key', `member ${l} already uses this encryption key`);
    }
  });
}
