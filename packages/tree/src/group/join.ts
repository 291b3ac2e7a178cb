// RFC 9420 section 11 (creating a group) and section 12.4.3.1 (joining one from a Welcome).

import { bytesEqual, toHex } from '@weft/codec';
import type { CipherSuite } from '@weft/crypto';
import { MlsError } from '../errors.ts';
import { deriveEpochSecrets } from '../keySchedule.ts';
import { createRatchetTree, decodeRatchetTree, type RatchetTree } from '../ratchetTree/ratchetTree.ts';
import { computeTreeHash } from '../ratchetTree/treeHash.ts';
import { validateRatchetTree } from '../ratchetTree/treeValidation.ts';
import { makeKeyPackageRef } from '../references.ts';
import { computeConfirmationTag } from '../transcriptHash.ts';
import type { LeafIndex } from '../treeMath.ts';
import { createTreePrivateKeys, deriveJoinerPrivateKeys } from '../treeKem/treePrivateKeys.ts';
import { openWelcome } from '../welcomeSecrets.ts';
import { ExtensionType, type Extension } from '../wire/extension.ts';
import type { GroupContext } from '../wire/groupContext.ts';
import type { GroupInfo } from '../wire/groupInfo.ts';
import { encodeKeyPackage, type KeyPackage } from '../wire/keyPackage.ts';
import type { LeafNode } from '../wire/leafNode.ts';
import { decodeMlsMessage, type MlsMessage } from '../wire/mlsMessage.ts';
import type { Welcome } from '../wire/welcome.ts';
import { defaultGroupOptions, enterEpoch, type GroupOptions, type GroupState } from './groupState.ts';
import { checkKeyPackagePrivateKeys, type KeyPackagePrivateKeys } from './keyPackage.ts';
import { checkLeafSupportsGroup, readRequiredCapabilitiesExtension } from './leafNodeValidation.ts';

/** An external PSK a member holds: its psk_id and secret value. */
export interface ExternalPsk {
  readonly id: Uint8Array;
  readonly secret: Uint8Array;
}

function pskMap(psks: readonly ExternalPsk[] | undefined): Map<string, Uint8Array> {
  return new Map((psks ?? []).map((p) => [toHex(p.id), p.secret] as const));
}

/** What createGroup needs. */
export interface CreateGroupOptions {
  /** Default: 16 random bytes from the suite. */
  readonly groupId?: Uint8Array;
  /** GroupContext extensions of epoch 0 (default none). */
  readonly extensions?: readonly Extension[];
  readonly externalPsks?: readonly ExternalPsk[];
  readonly options?: Partial<GroupOptions>;
}

/** The creator's own member: the LeafNode it puts at leaf 0 and its private keys. */
export interface OwnMember {
  readonly leafNode: LeafNode;
  readonly encryptionPrivateKey: Uint8Array;
  readonly signaturePrivateKey: Uint8Array;
}

/**
 * Creates a one-member group at epoch 0 (RFC 9420 section 11): our leaf alone in the tree, a random
 * epoch_secret, an empty confirmed transcript hash and the interim hash from its confirmation tag.
 */
export function createGroup(cs: CipherSuite, member: OwnMember, options: CreateGroupOptions = {}): GroupState {
  const tree = createRatchetTree(member.leafNode);
  const groupContext: GroupContext = {
    cipherSuite: cs.id,
    groupId: options.groupId ?? cs.randomBytes(16),
    epoch: 0n,
    treeHash: computeTreeHash(cs, tree),
    confirmedTranscriptHash: new Uint8Array(0),
    extensions: options.extensions ?? [],
  };
  const required = readRequiredCapabilitiesExtension(groupContext.extensions);
  checkLeafSupportsGroup(member.leafNode, groupContext.extensions, required, 'our own LeafNode');
  const epochSecrets = deriveEpochSecrets(cs, cs.randomBytes(cs.Nh));
  return enterEpoch(cs, {
    groupContext,
    tree,
    privateKeys: createTreePrivateKeys(0 as LeafIndex, member.encryptionPrivateKey),
    signaturePrivateKey: member.signaturePrivateKey,
    epochSecrets,
    confirmationTag: computeConfirmationTag(cs, epochSecrets.confirmationKey, groupContext.confirmedTranscriptHash),
    previousResumptionPsks: [],
    externalPsks: pskMap(options.externalPsks),
    options: { ...defaultGroupOptions, ...options.options },
  });
}

/** Options of joinFromWelcome. */
export interface JoinOptions {
  /** The group's ratchet tree when the Welcome's GroupInfo does not carry it (serialized or loaded). */
  readonly ratchetTree?: Uint8Array | RatchetTree;
  /** External PSKs the Welcome (and later commits) may name. */
  readonly externalPsks?: readonly ExternalPsk[];
  readonly options?: Partial<GroupOptions>;
}

/** A Welcome's joiner: the KeyPackage it published and the private keys it kept. */
export interface Joiner {
  readonly keyPackage: KeyPackage;
  readonly privateKeys: KeyPackagePrivateKeys;
}

function treeFromGroupInfo(groupInfo: GroupInfo, given: Uint8Array | RatchetTree | undefined): RatchetTree {
  if (given !== undefined) return given instanceof Uint8Array ? decodeRatchetTree(given) : given;
  const ext = groupInfo.extensions.find((e) => e.extensionType === ExtensionType.ratchetTree);
  if (!ext) throw new MlsError('ratchet_tree_missing', 'the GroupInfo has no ratchet_tree extension and no tree was given');
  return decodeRatchetTree(ext.extensionData);
}

/** Leaf index whose LeafNode is the KeyPackage's, or null. */
function findOwnLeaf(tree: RatchetTree, leaf: LeafNode): LeafIndex | null {
  for (let l = 0; l < tree.leafCount; l++) {
    const n = tree.leaves[l];
    if (n && bytesEqual(n.signature, leaf.signature) && bytesEqual(n.encryptionKey, leaf.encryptionKey) && bytesEqual(n.signatureKey, leaf.signatureKey)) {
      return l as LeafIndex;
    }
  }
  return null;
}

/**
 * Joins a group from a Welcome (RFC 9420 section 12.4.3.1): opens it with our KeyPackage's init
 * key, loads the tree (from the GroupInfo or `options.ratchetTree`), validates it (leaf
 * signatures, parent hashes, unmerged leaves, unique keys, tree hash against the GroupContext),
 * verifies the GroupInfo signature by the signer's leaf, finds our leaf, derives our path keys from
 * the path secret, and checks the confirmation tag. Throws MlsError or CodecError.
 */
export function joinFromWelcome(cs: CipherSuite, welcome: Uint8Array | MlsMessage | Welcome, joiner: Joiner, options: JoinOptions = {}): GroupState {
  const w = toWelcome(welcome);
  const kp = joiner.keyPackage;
  if (kp.cipherSuite !== cs.id) throw new MlsError('cipher_suite_mismatch', `the KeyPackage is for suite ${kp.cipherSuite}, not ${cs.id}`);
  checkKeyPackagePrivateKeys(cs, kp, joiner.privateKeys);
  const externalPsks = pskMap(options.externalPsks);
  let tree: RatchetTree | null = null;
  const opened = openWelcome(cs, w, {
    keyPackageRef: makeKeyPackageRef(cs, encodeKeyPackage(kp)),
    initPrivateKey: joiner.privateKeys.initPrivateKey,
    resolvePsk: (id) => (id.pskType === 'external' ? (externalPsks.get(toHex(id.pskId)) ?? null) : null),
    signerPublicKey: (gi) => {
      // The tree is needed to find the signer's key; it is fully validated below.
      tree = treeFromGroupInfo(gi, options.ratchetTree);
      return tree.leaves[gi.signer]?.signatureKey ?? null;
    },
  });
  const loaded = tree as RatchetTree | null;
  if (loaded === null) throw new MlsError('ratchet_tree_missing', 'no ratchet tree');
  const gc = opened.groupInfo.groupContext;
  validateRatchetTree(cs, loaded, gc.groupId, { expectedTreeHash: gc.treeHash });
  const required = readRequiredCapabilitiesExtension(gc.extensions);
  loaded.leaves.forEach((leaf, l) => {
    if (leaf) checkLeafSupportsGroup(leaf, gc.extensions, required, `member ${l}`);
  });
  const me = findOwnLeaf(loaded, kp.leafNode);
  if (me === null) throw new MlsError('welcome_leaf_missing', "the group's tree does not hold our KeyPackage's LeafNode");
  const signer = opened.groupInfo.signer as LeafIndex;
  const privateKeys =
    opened.groupSecrets.pathSecret === null
      ? createTreePrivateKeys(me, joiner.privateKeys.encryptionPrivateKey)
      : deriveJoinerPrivateKeys(cs, loaded, me, joiner.privateKeys.encryptionPrivateKey, signer, opened.groupSecrets.pathSecret);
  return enterEpoch(cs, {
    groupContext: gc,
    tree: loaded,
    privateKeys,
    signaturePrivateKey: joiner.privateKeys.signaturePrivateKey,
    epochSecrets: opened.epochSecrets,
    confirmationTag: opened.groupInfo.confirmationTag,
    previousResumptionPsks: [],
    externalPsks,
    options: { ...defaultGroupOptions, ...options.options },
  });
}

function toWelcome(welcome: Uint8Array | MlsMessage | Welcome): Welcome {
  if (welcome instanceof Uint8Array) return toWelcome(decodeMlsMessage(welcome));
  if ('wireFormat' in welcome) {
    if (welcome.wireFormat !== 'welcome') throw new MlsError('unexpected_message_type', `expected a Welcome, got ${welcome.wireFormat}`);
    return welcome.welcome;
  }
  return welcome;
}
