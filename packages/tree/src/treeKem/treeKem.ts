// RFC 9420 sections 7.4 to 7.6: creating an UpdatePath for a commit, merging one into the tree,
// and decrypting the path secret it carries for this member.

import { bytesEqual } from '@weft/codec';
import { CryptoError, decryptWithLabel, deriveSecret, encryptWithLabelBatch, type CipherSuite, type KeyPair } from '@weft/crypto';
import { MlsError } from '../errors.ts';
import { signLeafNode, verifyLeafNodeSignatureWith, type PendingLeafSignature } from '../ratchetTree/leafNodeSignature.ts';
import { computeParentHash } from '../ratchetTree/parentHash.ts';
import { TreeDraft, getEncryptionKey, type RatchetTree } from '../ratchetTree/ratchetTree.ts';
import { computeFilteredDirectPathSteps, computeResolution, type FilteredPathStep } from '../ratchetTree/resolution.ts';
import { computeNodeTreeHash, computeTreeHash } from '../ratchetTree/treeHash.ts';
import { commonAncestor, directPath, isInSubtree, leafToNode, type LeafIndex, type NodeIndex } from '../treeMath.ts';
import { encodeGroupContext, type GroupContext } from '../wire/groupContext.ts';
import type { HPKECiphertext } from '../wire/hpkeCiphertext.ts';
import type { LeafNode, LeafNodeContent } from '../wire/leafNode.ts';
import type { UpdatePath, UpdatePathNode } from '../wire/updatePath.ts';
import { deriveKeyPairs, deriveNextPathSecret, deriveNodeKeyPairs } from './pathSecret.ts';
import type { TreePrivateKeys } from './treePrivateKeys.ts';

const EMPTY = new Uint8Array(0);
const LABEL = 'UpdatePathNode';

/** A GroupContext still missing its tree hash: the provisional context of the commit being built or processed. */
export type ProvisionalGroupContext = Omit<GroupContext, 'treeHash'>;

/**
 * parent_hash fields along a filtered direct path, computed from the root down (section 7.9):
 * fields[0] is the committer's leaf's, fields[i + 1] is what steps[i] stores (empty at the root).
 * Each path node's unmerged_leaves was just emptied, so a sibling's original tree hash is its
 * current one, and the copath subtrees are untouched by the merge, so their cached hashes serve.
 */
function computePathParentHashes(cs: CipherSuite, tree: RatchetTree, steps: readonly FilteredPathStep[], keys: readonly Uint8Array[]): Uint8Array[] {
  const fields = new Array<Uint8Array>(steps.length + 1);
  let ph: Uint8Array = EMPTY;
  for (let i = steps.length - 1; i >= 0; i--) {
    fields[i + 1] = ph;
    const step = steps[i] as FilteredPathStep;
    ph = computeParentHash(cs, keys[i] as Uint8Array, ph, computeNodeTreeHash(cs, tree, step.copathChild));
  }
  fields[0] = ph;
  return fields;
}

/** Writes the leaf and the filtered path into a copy of `tree`, blanking the rest of the direct path. */
function writePath(tree: RatchetTree, sender: LeafIndex, leaf: LeafNode, steps: readonly FilteredPathStep[], keys: readonly Uint8Array[], fields: readonly Uint8Array[]): RatchetTree {
  const draft = new TreeDraft(tree);
  draft.blankDirectPath(sender);
  steps.forEach((s, i) => draft.setParent(s.node, { encryptionKey: keys[i] as Uint8Array, parentHash: fields[i + 1] as Uint8Array, unmergedLeaves: [] }));
  draft.setLeaf(sender, leaf);
  return draft.finish();
}

/** What createUpdatePath needs besides the suite. */
export interface CreateUpdatePathInput {
  /** The tree after the commit's proposals were applied. */
  readonly tree: RatchetTree;
  readonly senderLeaf: LeafIndex;
  readonly signaturePrivateKey: Uint8Array;
  /** The commit's provisional GroupContext (new epoch and extensions), without the tree hash. */
  readonly groupContext: ProvisionalGroupContext;
  /** Leaves added by this commit: they get the path secret through the Welcome, not the UpdatePath. */
  readonly excludedLeaves?: readonly LeafIndex[];
  /** Changes to the sender's LeafNode (default: keep its signature key, credential, capabilities and extensions). */
  readonly leafChanges?: Partial<Pick<LeafNode, 'signatureKey' | 'credential' | 'capabilities' | 'extensions'>>;
  /** Leaf HPKE key pair (default: fresh from the suite). */
  readonly leafKeyPair?: KeyPair;
  /** path_secret[0] (default: Nh random bytes from the suite). */
  readonly firstPathSecret?: Uint8Array;
}

/** Result of createUpdatePath. */
export interface CreatedUpdatePath {
  /** The tree with the path merged (what every member will have after the commit). */
  readonly tree: RatchetTree;
  readonly updatePath: UpdatePath;
  /** The provisional GroupContext with the new tree hash (the HPKE context that was used). */
  readonly groupContext: GroupContext;
  readonly commitSecret: Uint8Array;
  /** Path secret of each filtered-direct-path node, by node index (for GroupSecrets.path_secret). */
  readonly pathSecrets: ReadonlyMap<number, Uint8Array>;
  /** The sender's new private keys: its leaf and its filtered direct path. */
  readonly privateKeys: TreePrivateKeys;
}

/**
 * Builds an UpdatePath for `senderLeaf` (sections 7.4, 7.5): fresh leaf key, path secrets along the
 * filtered direct path, parent hashes, re-signed commit LeafNode, and each path secret encrypted to
 * the resolution of its copath child (minus excluded leaves) under the provisional GroupContext.
 */
export function createUpdatePath(cs: CipherSuite, input: CreateUpdatePathInput): CreatedUpdatePath {
  const { tree, senderLeaf } = input;
  const old = tree.leaves[senderLeaf];
  if (!old) throw new MlsError('leaf_blank', `leaf ${senderLeaf} is blank and cannot commit with a path`);
  const steps = computeFilteredDirectPathSteps(tree, senderLeaf);

  const pathSecrets = new Map<number, Uint8Array>();
  const nodeKeys = new Map<number, Uint8Array>();
  let ps = input.firstPathSecret ?? cs.randomBytes(cs.Nh);
  const secrets: Uint8Array[] = [];
  for (const step of steps) {
    pathSecrets.set(step.node, ps);
    secrets.push(ps);
    ps = deriveNextPathSecret(cs, ps);
  }
  const commitSecret = ps;
  // The node key pairs and the leaf's (DeriveKeyPair from fresh random bytes, the leaf_secret of
  // Figure 14, is cheaper than GenerateKeyPair) as one batch; random bytes drawn in the same order.
  const leafIkm = input.leafKeyPair ? null : cs.randomBytes(cs.Nh);
  const derived = deriveKeyPairs(cs, [...secrets.map((s) => deriveSecret(cs, s, 'node')), ...(leafIkm ? [leafIkm] : [])]);
  const publicKeys: Uint8Array[] = steps.map((step, i) => {
    const kp = derived[i] as KeyPair;
    nodeKeys.set(step.node, kp.privateKey);
    return kp.publicKey;
  });

  const fields = computePathParentHashes(cs, tree, steps, publicKeys);
  const leafKeyPair = input.leafKeyPair ?? (derived[steps.length] as KeyPair);
  const content: LeafNodeContent = {
    encryptionKey: leafKeyPair.publicKey,
    signatureKey: input.leafChanges?.signatureKey ?? old.signatureKey,
    credential: input.leafChanges?.credential ?? old.credential,
    capabilities: input.leafChanges?.capabilities ?? old.capabilities,
    leafNodeSource: { type: 'commit', parentHash: fields[0] as Uint8Array },
    extensions: input.leafChanges?.extensions ?? old.extensions,
  };
  const leafNode = signLeafNode(cs, content, input.signaturePrivateKey, input.groupContext.groupId, senderLeaf);
  const merged = writePath(tree, senderLeaf, leafNode, steps, publicKeys, fields);
  const groupContext: GroupContext = { ...input.groupContext, treeHash: computeTreeHash(cs, merged) };
  const context = encodeGroupContext(groupContext);

  // Every path secret to every member of its copath resolution, sealed as one batch in path order.
  const excluded = new Set<number>(input.excludedLeaves ?? []);
  const recipients: { publicKey: Uint8Array; plaintext: Uint8Array }[] = [];
  const counts = steps.map((step, i) => {
    const resolution = computeResolution(tree, step.copathChild, excluded);
    for (const r of resolution) {
      const pub = getEncryptionKey(tree, r);
      if (pub === null) throw new MlsError('unmerged_leaves_invalid', `node ${r} is in a resolution but blank (an unmerged leaf that left?)`);
      // The HPKE plaintext is the raw path secret (section 7.6), not a PathSecret struct.
      recipients.push({ publicKey: pub, plaintext: secrets[i] as Uint8Array });
    }
    return resolution.length;
  });
  const sealed = encryptWithLabelBatch(cs, LABEL, context, recipients);
  let next = 0;
  const nodes: UpdatePathNode[] = steps.map((_, i) => {
    const encryptedPathSecret: HPKECiphertext[] = sealed.slice(next, next + (counts[i] as number));
    next += counts[i] as number;
    return { encryptionKey: publicKeys[i] as Uint8Array, encryptedPathSecret };
  });
  nodeKeys.set(leafToNode(senderLeaf), leafKeyPair.privateKey);
  return {
    tree: merged,
    updatePath: { leafNode, nodes },
    groupContext,
    commitSecret,
    pathSecrets,
    privateKeys: { leafIndex: senderLeaf, nodeKeys },
  };
}

/**
 * Merges a received UpdatePath into the tree (section 7.5, public part): the node count must match
 * the filtered direct path, the leaf must be a commit LeafNode signed for this group and position,
 * and its parent_hash must equal the one recomputed from the path. Needs no secret.
 */
export function mergeUpdatePath(cs: CipherSuite, tree: RatchetTree, senderLeaf: LeafIndex, updatePath: UpdatePath, groupId: Uint8Array): RatchetTree {
  return mergeChecked(cs, tree, senderLeaf, updatePath, groupId).tree;
}

function mergeChecked(
  cs: CipherSuite,
  tree: RatchetTree,
  senderLeaf: LeafIndex,
  updatePath: UpdatePath,
  groupId: Uint8Array,
  pendingLeafSignature?: PendingLeafSignature | null,
): { tree: RatchetTree; steps: FilteredPathStep[] } {
  if (!tree.leaves[senderLeaf]) throw new MlsError('leaf_blank', `the committer's leaf ${senderLeaf} is blank`);
  const leaf = updatePath.leafNode;
  if (leaf.leafNodeSource.type !== 'commit') {
    throw new MlsError('leaf_source_invalid', `the UpdatePath leaf has leaf_node_source ${leaf.leafNodeSource.type}, not commit`);
  }
  const steps = computeFilteredDirectPathSteps(tree, senderLeaf);
  if (updatePath.nodes.length !== steps.length) {
    throw new MlsError(
      'update_path_length_mismatch',
      `the UpdatePath has ${updatePath.nodes.length} nodes but the committer's filtered direct path has ${steps.length}`,
    );
  }
  const keys = updatePath.nodes.map((n) => n.encryptionKey);
  const fields = computePathParentHashes(cs, tree, steps, keys);
  if (!bytesEqual(leaf.leafNodeSource.parentHash, fields[0] as Uint8Array)) {
    throw new MlsError('parent_hash_invalid', `the committer's new leaf ${senderLeaf} carries a parent_hash that does not match its path`);
  }
  if (!verifyLeafNodeSignatureWith(cs, leaf, groupId, senderLeaf, pendingLeafSignature)) {
    throw new MlsError('leaf_signature_invalid', `the signature of the committer's new leaf ${senderLeaf} does not verify`);
  }
  return { tree: writePath(tree, senderLeaf, leaf, steps, keys, fields), steps };
}

/** What processUpdatePath needs besides the suite. */
export interface ProcessUpdatePathInput {
  /** The tree after the commit's proposals were applied, before the path. */
  readonly tree: RatchetTree;
  readonly senderLeaf: LeafIndex;
  readonly updatePath: UpdatePath;
  /** The commit's provisional GroupContext without the tree hash. */
  readonly groupContext: ProvisionalGroupContext;
  /** Leaves added by this commit (left out of the resolutions the sender encrypted to). */
  readonly excludedLeaves?: readonly LeafIndex[];
  /** This member's private keys before the commit. */
  readonly privateKeys: TreePrivateKeys;
  /** The committer's leaf signature check, if started ahead (startLeafNodeSignatureCheck). */
  readonly pendingLeafSignature?: PendingLeafSignature | null;
}

/** Result of processUpdatePath. */
export interface ProcessedUpdatePath {
  readonly tree: RatchetTree;
  readonly groupContext: GroupContext;
  readonly commitSecret: Uint8Array;
  /** The path secret this member decrypted, and the node it belongs to. */
  readonly pathSecret: Uint8Array;
  readonly pathSecretNode: NodeIndex;
  /** This member's private keys after the commit. */
  readonly privateKeys: TreePrivateKeys;
}

/**
 * Applies a received UpdatePath as a member (section 7.5): merges it, finds the lowest
 * filtered-direct-path node whose copath child covers this member, decrypts that path secret with
 * the matching resolution key, derives the keys up to the root checking them against the path,
 * and returns the commit secret.
 */
export function processUpdatePath(cs: CipherSuite, input: ProcessUpdatePathInput): ProcessedUpdatePath {
  const { tree, senderLeaf, updatePath, privateKeys } = input;
  const me = privateKeys.leafIndex;
  if (me === senderLeaf) throw new MlsError('update_path_no_decryption_node', 'a member cannot process its own UpdatePath');
  const excluded = new Set<number>(input.excludedLeaves ?? []);
  if (excluded.has(me)) throw new MlsError('update_path_no_decryption_node', `leaf ${me} was added by this commit and joins through the Welcome`);

  const { tree: merged, steps } = mergeChecked(cs, tree, senderLeaf, updatePath, input.groupContext.groupId, input.pendingLeafSignature);
  const groupContext: GroupContext = { ...input.groupContext, treeHash: computeTreeHash(cs, merged) };

  const myNode = leafToNode(me);
  const i = steps.findIndex((s) => isInSubtree(myNode, s.copathChild));
  if (i < 0) throw new MlsError('update_path_no_decryption_node', `leaf ${me} is not below any node of the committer's filtered direct path`);
  const step = steps[i] as FilteredPathStep;
  const pathNode = updatePath.nodes[i] as UpdatePathNode;
  const resolution = computeResolution(tree, step.copathChild, excluded);
  if (pathNode.encryptedPathSecret.length !== resolution.length) {
    throw new MlsError(
      'update_path_ciphertext_count_mismatch',
      `UpdatePath node ${i} has ${pathNode.encryptedPathSecret.length} ciphertexts for a resolution of ${resolution.length}`,
    );
  }
  const k = resolution.findIndex((r) => privateKeys.nodeKeys.has(r));
  if (k < 0) throw new MlsError('missing_private_key', `leaf ${me} holds no private key for the resolution of node ${step.copathChild}`);
  const ct = pathNode.encryptedPathSecret[k] as HPKECiphertext;
  const context = encodeGroupContext(groupContext);
  let pathSecret: Uint8Array;
  try {
    pathSecret = decryptWithLabel(cs, privateKeys.nodeKeys.get(resolution[k] as number) as Uint8Array, LABEL, context, ct.kemOutput, ct.ciphertext);
  } catch (err) {
    if (err instanceof CryptoError) {
      throw new MlsError('update_path_decrypt_failed', `the path secret for node ${step.node} does not decrypt: ${err.message}`);
    }
    throw err;
  }

  // Keys below the common ancestor stay; the sender's direct path was replaced (or blanked), so
  // its old keys go and the derived ones come in.
  const senderPath = new Set<number>(directPath(leafToNode(senderLeaf), merged.leafCount));
  const nodeKeys = new Map<number, Uint8Array>();
  for (const [x, key] of privateKeys.nodeKeys) if (!senderPath.has(x) && getEncryptionKey(merged, x) !== null) nodeKeys.set(x, key);
  const secrets: Uint8Array[] = [];
  let ps = pathSecret;
  for (let j = i; j < steps.length; j++) {
    secrets.push(ps);
    ps = deriveNextPathSecret(cs, ps);
  }
  deriveNodeKeyPairs(cs, secrets).forEach((kp, k) => {
    const j = i + k;
    if (!bytesEqual(kp.publicKey, (updatePath.nodes[j] as UpdatePathNode).encryptionKey)) {
      throw new MlsError('update_path_public_key_mismatch', `the key derived for node ${(steps[j] as FilteredPathStep).node} does not match the UpdatePath`);
    }
    nodeKeys.set((steps[j] as FilteredPathStep).node, kp.privateKey);
  });
  return {
    tree: merged,
    groupContext,
    commitSecret: ps,
    pathSecret,
    pathSecretNode: step.node,
    privateKeys: { leafIndex: me, nodeKeys },
  };
}

/**
 * The path secret a joiner added by this commit gets in GroupSecrets.path_secret (section
 * 12.4.3.1): the one of the lowest common ancestor of its leaf and the committer's.
 */
export function selectJoinerPathSecret(created: CreatedUpdatePath, senderLeaf: LeafIndex, joinerLeaf: LeafIndex): Uint8Array {
  const ancestor = commonAncestor(leafToNode(joinerLeaf), leafToNode(senderLeaf));
  const secret = created.pathSecrets.get(ancestor);
  if (!secret) throw new MlsError('update_path_no_decryption_node', `node ${ancestor} is not on the committer's filtered direct path`);
  return secret;
}
