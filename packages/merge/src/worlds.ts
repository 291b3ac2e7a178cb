// Worlds: the private state of one epoch as this device holds it (section 6). A device processes
// every commit it can, on every branch, so each message is decrypted in the world its base names.
// These functions are the device-side MLS operations (RFC 9420 sections 8, 9, 12) over the public
// epochs of publicState.ts: creating and processing commits, joining by Welcome, Update and rejoin
// proposals, and application messages.

import { decryptWithLabel, type CipherSuite, type KeyPair } from '@weft/crypto';
import { bytesEqual, fromHex, toHex, utf8 } from '@weft/codec';
import {
  attachConfirmationTag,
  computeConfirmationTag,
  createFramingContext,
  createSecretTree,
  createUpdatePath,
  createWelcome,
  decodeMlsMessage,
  deriveEpochSecrets,
  deriveJoinerPrivateKeys,
  encodeKeyPackage,
  encodeMlsMessage,
  exportSecret,
  leafIndex as toLeafIndex,
  makeKeyPackageRef,
  openWelcome,
  MlsError,
  computeFilteredDirectPathSteps,
  computeResolution,
  deriveNextPathSecret,
  deriveNodeKeyPair,
  directPath,
  encodeGroupContext,
  getEncryptionKey,
  isInSubtree,
  leafToNode,
  protectApplicationData,
  protectPublicMessage,
  pruneTreePrivateKeys,
  runKeySchedule,
  selectJoinerPathSecret,
  signFramedContent,
  signGroupInfo,
  signKeyPackage,
  signLeafNode,
  unprotectPrivateMessage,
  verifyConfirmationTag,
  zeroSecret,
  type Capabilities,
  type FramedContent,
  type FramingContext,
  type KeyPackage,
  type LeafNodeContent,
  type ProposalOrRef,
  type RatchetTree,
  type UpdatePath,
  type SecretTree,
  type TreePrivateKeys,
  type Welcome,
} from '@weft/tree';
import { MergeError, codeOf } from './errors.ts';
import { applyProposals, computeCommitContext, getIdentity, type EpochChange, type PublicEpoch, type ProposalRecord, type ResolvedProposal } from './publicState.ts';

const EMPTY = new Uint8Array(0);
const textDecoder = new TextDecoder();
/** Exporter label of DeviceView.exporter. */
export const VIEW_EXPORTER_LABEL = 'weft-sim';

/** The private state of one epoch on this device. Fields set to null were evicted (retention.ts). */
export interface World {
  readonly key: string;
  readonly height: number;
  readonly epoch: bigint;
  readonly leaf: number;
  /** HPKE private keys of the tree (needed to process child commits): fork horizon. */
  treeKeys: TreePrivateKeys | null;
  /** init_secret (needed to process child commits): fork horizon. */
  initSecret: Uint8Array | null;
  /** Framing context (membership key, sender-data secret): message horizon. */
  framing: FramingContext | null;
  /** Message keys: message horizon. */
  secretTree: SecretTree | null;
  /** The secret tree as created (persistent, so one reference): lets keyshare answer for messages already read. Message horizon. */
  sharingTree: SecretTree | null;
  /** Hex of MLS-Exporter("weft-sim", "", 32), for convergence checks. */
  readonly exporter: string;
  readonly epochAuthenticator: Uint8Array;
}

/** A KeyPackage this device made, with its private keys. */
export interface OwnKeyPackage {
  readonly keyPackage: KeyPackage;
  readonly bytes: Uint8Array;
  readonly ref: string;
  readonly initPrivateKey: Uint8Array;
  readonly leafPrivateKey: Uint8Array;
}

/** The device's long-term signature key and identity. */
export interface DeviceKeys {
  readonly identity: string;
  readonly signature: KeyPair;
}

function fail(cid: string, what: string, e?: unknown): MergeError {
  return new MergeError('world_failed', e instanceof Error ? `${what}: ${e.message}` : what, cid, e === undefined ? undefined : codeOf(e));
}

function makeWorld(cs: CipherSuite, epoch: PublicEpoch, leaf: number, treeKeys: TreePrivateKeys, secrets: ReturnType<typeof deriveEpochSecrets>): World {
  const secretTree = createSecretTree(secrets.encryptionSecret, epoch.tree.leafCount);
  return {
    key: epoch.key,
    height: epoch.height,
    epoch: epoch.epoch,
    leaf,
    treeKeys: pruneTreePrivateKeys(epoch.tree, treeKeys),
    initSecret: secrets.initSecret,
    framing: createFramingContext(epoch.groupContext, secrets),
    secretTree,
    sharingTree: secretTree,
    exporter: toHex(exportSecret(cs, secrets.exporterSecret, VIEW_EXPORTER_LABEL, EMPTY, 32)),
    epochAuthenticator: secrets.epochAuthenticator,
  };
}

/** Default capabilities of a Weft leaf. */
function capabilitiesFor(cs: CipherSuite): Capabilities {
  return { versions: [1], cipherSuites: [cs.id], extensions: [], proposals: [], credentials: [1] };
}

/** A fresh signed KeyPackage for this device, with its private keys. */
export function createOwnKeyPackage(cs: CipherSuite, keys: DeviceKeys): OwnKeyPackage {
  const init = cs.kemDeriveKeyPair(cs.randomBytes(cs.Nh));
  const leaf = cs.kemDeriveKeyPair(cs.randomBytes(cs.Nh));
  const content: LeafNodeContent = {
    encryptionKey: leaf.publicKey,
    signatureKey: keys.signature.publicKey,
    credential: { credentialType: 'basic', identity: utf8(keys.identity) },
    capabilities: capabilitiesFor(cs),
    leafNodeSource: { type: 'key_package', lifetime: { notBefore: 0n, notAfter: 0xffffffffffffffffn } },
    extensions: [],
  };
  const leafNode = signLeafNode(cs, content, keys.signature.privateKey, EMPTY, 0);
  const keyPackage = signKeyPackage(cs, { cipherSuite: cs.id, initKey: init.publicKey, leafNode, extensions: [] }, keys.signature.privateKey);
  return {
    keyPackage,
    bytes: encodeMlsMessage({ wireFormat: 'key_package', keyPackage }),
    ref: toHex(makeKeyPackageRef(cs, encodeKeyPackage(keyPackage))),
    initPrivateKey: init.privateKey,
    leafPrivateKey: leaf.privateKey,
  };
}

/** Decodes a KeyPackage given as MLSMessage bytes (or a bare KeyPackage); throws MergeError bad_key_package. */
export function readKeyPackage(bytes: Uint8Array): KeyPackage {
  try {
    const m = decodeMlsMessage(bytes);
    if (m.wireFormat !== 'key_package') throw new Error(`not a KeyPackage but a ${m.wireFormat}`);
    return m.keyPackage;
  } catch (e) {
    throw new MergeError('bad_key_package', `KeyPackage does not decode: ${e instanceof Error ? e.message : String(e)}`, undefined, codeOf(e));
  }
}

/** The creator's world of epoch 0 (a random epoch_secret, RFC 9420 section 11). */
export function createGenesisWorld(cs: CipherSuite, epoch0: PublicEpoch, own: OwnKeyPackage): World {
  const secrets = deriveEpochSecrets(cs, cs.randomBytes(cs.Nh));
  return makeWorld(cs, epoch0, 0, { leafIndex: toLeafIndex(0), nodeKeys: new Map([[0, own.leafPrivateKey]]) }, secrets);
}

/**
 * Failures of a publicly valid commit that only its committer can cause, given a sound base world:
 * the path secret meant for us does not decrypt or does not give the public keys it claims.
 */
const COMMITTER_FAULTS: ReadonlySet<string> = new Set(['update_path_decrypt_failed', 'update_path_public_key_mismatch', 'update_path_ciphertext_count_mismatch']);

/** Outcome of processing a commit in the world of its base. */
export type ProcessedCommit = { readonly kind: 'world'; readonly world: World } | { readonly kind: 'removed' };

/**
 * Processes someone else's commit from the world of its base: decrypts the path secret, runs the
 * key schedule, checks the confirmation tag. `updateKey` finds the leaf private key of this
 * device's own Update proposal by ref. Throws MergeError base_evicted, commit_invalid (the
 * committer's fault: garbage path secrets, a bad confirmation tag) or world_failed.
 */
export function processCommit(cs: CipherSuite, base: World, baseEpoch: PublicEpoch, epoch: PublicEpoch, updateKey: (ref: string) => Uint8Array | undefined): ProcessedCommit {
  const change = epoch.change;
  const label = epoch.key;
  if (!change) throw fail(label, 'not a commit');
  if (base.treeKeys === null || base.initSecret === null) throw new MergeError('base_evicted', 'the private state of the base epoch was evicted', label);
  if (change.removes.some((r) => r.leaf === base.leaf)) return { kind: 'removed' };
  if (change.committer === base.leaf) throw fail(label, 'a device cannot process its own commit (it installs it when creating it)');
  const before = change.treeAfterProposals;
  const path = change.path;
  if (before === null || path === null) throw fail(label, 'the path inputs of this commit were released');
  try {
    let nodeKeys = new Map(base.treeKeys.nodeKeys);
    const mine = change.updates.find((u) => u.leaf === base.leaf);
    if (mine) {
      const priv = updateKey(mine.ref);
      if (!priv) throw fail(label, 'our Update proposal was committed but its private key is gone');
      nodeKeys = new Map([[2 * base.leaf, priv]]);
    }
    const privateKeys = pruneTreePrivateKeys(before, { leafIndex: toLeafIndex(base.leaf), nodeKeys });
    const gc = epoch.groupContext;
    const processed = decryptPath(cs, epoch, change, before, path, baseEpoch.groupContext.confirmedTranscriptHash, privateKeys);
    const secrets = runKeySchedule(cs, { initSecret: base.initSecret, commitSecret: processed.commitSecret, pskSecret: zeroSecret(cs), groupContext: epoch.groupContextBytes });
    if (!verifyConfirmationTag(cs, secrets.confirmationKey, gc.confirmedTranscriptHash, change.confirmationTag)) {
      throw new MergeError('commit_invalid', 'the confirmation_tag does not match the key schedule', label, 'confirmation_tag_invalid');
    }
    return { kind: 'world', world: makeWorld(cs, epoch, base.leaf, processed.privateKeys, secrets) };
  } catch (e) {
    if (e instanceof MergeError) throw e;
    if (e instanceof MlsError && COMMITTER_FAULTS.has(e.code)) throw new MergeError('commit_invalid', `the commit fails private MLS validation: ${e.message}`, label, e.code);
    throw fail(label, 'processing the commit failed', e);
  }
}

/**
 * The receiver's side of an UpdatePath (RFC 9420 section 7.5) when the public epoch already holds
 * the merged tree: decrypt our path secret, derive the keys above it (checked against the public
 * keys), and return the commit secret. Same result as processUpdatePath, without merging the path
 * a second time (the public validation did that, leaf signature and parent hash included).
 */
function decryptPath(
  cs: CipherSuite,
  epoch: PublicEpoch,
  change: EpochChange,
  before: RatchetTree,
  path: UpdatePath,
  oldConfirmed: Uint8Array,
  privateKeys: TreePrivateKeys,
): { commitSecret: Uint8Array; privateKeys: TreePrivateKeys } {
  const sender = toLeafIndex(change.committer);
  const me = privateKeys.leafIndex;
  const excluded = new Set<number>(change.adds.map((a) => a.leaf));
  const steps = computeFilteredDirectPathSteps(before, sender);
  const myNode = leafToNode(me);
  const i = steps.findIndex((s) => isInSubtree(myNode, s.copathChild));
  const step = steps[i];
  const pathNode = path.nodes[i];
  if (!step || !pathNode) throw new MlsError('update_path_no_decryption_node', `leaf ${me} is not below the committer's filtered direct path`);
  const resolution = computeResolution(before, step.copathChild, excluded);
  if (pathNode.encryptedPathSecret.length !== resolution.length) throw new MlsError('update_path_ciphertext_count_mismatch', 'ciphertext count differs from the resolution');
  const k = resolution.findIndex((r) => privateKeys.nodeKeys.has(r));
  const ct = pathNode.encryptedPathSecret[k];
  if (k < 0 || !ct) throw new MlsError('missing_private_key', `leaf ${me} holds no key for the resolution of node ${step.copathChild}`);
  const gc = epoch.groupContext;
  const context = encodeGroupContext({ ...gc, confirmedTranscriptHash: oldConfirmed });
  let ps: Uint8Array;
  try {
    ps = decryptWithLabel(cs, privateKeys.nodeKeys.get(resolution[k] as number) as Uint8Array, 'UpdatePathNode', context, ct.kemOutput, ct.ciphertext);
  } catch (e) {
    throw new MlsError('update_path_decrypt_failed', `the path secret does not decrypt: ${e instanceof Error ? e.message : String(e)}`);
  }
  const merged = epoch.tree;
  const senderPath = new Set<number>(directPath(leafToNode(sender), merged.leafCount));
  const nodeKeys = new Map<number, Uint8Array>();
  for (const [x, key] of privateKeys.nodeKeys) if (!senderPath.has(x) && getEncryptionKey(merged, x) !== null) nodeKeys.set(x, key);
  for (let j = i; j < steps.length; j++) {
    const kp = deriveNodeKeyPair(cs, ps);
    const expected = path.nodes[j]?.encryptionKey;
    if (!expected || !bytesEqual(kp.publicKey, expected)) throw new MlsError('update_path_public_key_mismatch', 'a derived path key does not match the UpdatePath');
    nodeKeys.set((steps[j] as { node: number }).node, kp.privateKey);
    ps = deriveNextPathSecret(cs, ps);
  }
  return { commitSecret: ps, privateKeys: { leafIndex: me, nodeKeys } };
}

/** What a commit built by this device adds, removes and commits by reference. */
export interface CommitPlanInput {
  readonly removes: readonly number[];
  readonly adds: readonly KeyPackage[];
  readonly updates: readonly ProposalRecord[];
}

/** A commit this device built, before it has a CID. */
export interface BuiltCommit {
  /** MLSMessage (PublicMessage) bytes: the commit event body. */
  readonly body: Uint8Array;
  readonly welcome: Welcome | null;
  /** Installs the new world once the commit event's public epoch exists. */
  readonly finish: (epoch: PublicEpoch) => World;
}

/** Builds a commit with a path on `epoch` from `world` (RFC 9420 section 12.4.2). Throws MlsError on bad input. */
export function buildCommit(cs: CipherSuite, world: World, epoch: PublicEpoch, keys: DeviceKeys, input: CommitPlanInput): BuiltCommit {
  if (world.initSecret === null || world.framing === null) throw new MergeError('base_evicted', 'the head world lost its private state', epoch.key);
  const me = world.leaf;
  const resolved: ResolvedProposal[] = [
    ...input.updates.map((u) => ({ proposal: u.proposal, senderLeaf: u.senderLeaf, ref: u.ref, prevalidated: true })),
    ...input.removes.map((leaf) => ({ proposal: { proposalType: 'remove' as const, removed: leaf }, senderLeaf: null, ref: null })),
    ...input.adds.map((keyPackage) => ({ proposal: { proposalType: 'add' as const, keyPackage }, senderLeaf: null, ref: null })),
  ];
  const applied = applyProposals(cs, epoch, me, resolved);
  const proposals: ProposalOrRef[] = [
    ...input.updates.map((u) => ({ type: 'reference' as const, reference: fromHex(u.ref) })),
    ...input.removes.map((leaf) => ({ type: 'proposal' as const, proposal: { proposalType: 'remove' as const, removed: leaf } })),
    ...input.adds.map((keyPackage) => ({ type: 'proposal' as const, proposal: { proposalType: 'add' as const, keyPackage } })),
  ];
  const gc = epoch.groupContext;
  const created = createUpdatePath(cs, {
    tree: applied.tree,
    senderLeaf: toLeafIndex(me),
    signaturePrivateKey: keys.signature.privateKey,
    groupContext: { cipherSuite: gc.cipherSuite, groupId: gc.groupId, epoch: gc.epoch + 1n, confirmedTranscriptHash: gc.confirmedTranscriptHash, extensions: gc.extensions },
    excludedLeaves: applied.adds.map((a) => toLeafIndex(a.leaf)),
  });
  const content: FramedContent = {
    groupId: gc.groupId,
    epoch: gc.epoch,
    sender: { senderType: 'member', leafIndex: me },
    authenticatedData: EMPTY,
    contentType: 'commit',
    commit: { proposals, path: created.updatePath },
  };
  const signed = signFramedContent(cs, epoch.groupContextBytes, 'public_message', content, keys.signature.privateKey);
  // The confirmation tag is not yet known; compute the context with a placeholder, then the real one.
  const confirmedCtx = computeCommitContext(cs, epoch, created.tree, content, signed.auth.signature, EMPTY).groupContext;
  const secrets = runKeySchedule(cs, { initSecret: world.initSecret, commitSecret: created.commitSecret, pskSecret: zeroSecret(cs), groupContext: encodeGc(confirmedCtx) });
  const tag = computeConfirmationTag(cs, secrets.confirmationKey, confirmedCtx.confirmedTranscriptHash);
  const authed = attachConfirmationTag(signed, tag);
  const message = protectPublicMessage(cs, world.framing, authed);
  const body = encodeMlsMessage({ wireFormat: 'public_message', publicMessage: message });
  let welcome: Welcome | null = null;
  if (applied.adds.length > 0) {
    const groupInfo = signGroupInfo(cs, { groupContext: confirmedCtx, extensions: [], confirmationTag: tag, signer: me }, keys.signature.privateKey);
    welcome = createWelcome(cs, {
      groupInfo,
      joinerSecret: secrets.joinerSecret,
      psks: [],
      recipients: applied.adds.map((a) => ({
        keyPackageRef: fromHex(a.keyPackageRef),
        initKey: a.keyPackage.initKey,
        pathSecret: selectJoinerPathSecret(created, toLeafIndex(me), toLeafIndex(a.leaf)),
      })),
    });
  }
  const treeKeys = created.privateKeys;
  return {
    body,
    welcome,
    finish: (newEpoch) => {
      if (toHex(newEpoch.groupContext.treeHash) !== toHex(confirmedCtx.treeHash)) throw fail(newEpoch.key, 'our own commit gave another tree than we built');
      return makeWorld(cs, newEpoch, me, treeKeys, secrets);
    },
  };
}

function encodeGc(gc: Parameters<typeof createFramingContext>[0]): Uint8Array {
  return createFramingContext(gc, { membershipKey: EMPTY, senderDataSecret: EMPTY }).groupContext;
}

/**
 * Joins from a Welcome into the public epoch of the commit that added us: opens the Welcome with
 * our KeyPackage's init key, checks the GroupInfo against the public GroupContext, derives our
 * tree keys. The ratchet tree is the public one (devices replicate the DAG). Throws MergeError.
 */
export function joinFromWelcome(cs: CipherSuite, welcome: Welcome, epoch: PublicEpoch, own: OwnKeyPackage): World {
  try {
    const opened = openWelcome(cs, welcome, {
      keyPackageRef: fromHex(own.ref),
      initPrivateKey: own.initPrivateKey,
      signerPublicKey: (gi) => epoch.tree.leaves[gi.signer]?.signatureKey ?? null,
    });
    if (toHex(encodeGc(opened.groupInfo.groupContext)) !== toHex(epoch.groupContextBytes)) throw fail(epoch.key, 'the Welcome GroupContext differs from the public epoch');
    const leaf = epoch.tree.leaves.findIndex((l) => l !== null && toHex(l.encryptionKey) === toHex(own.keyPackage.leafNode.encryptionKey));
    if (leaf < 0) throw fail(epoch.key, 'our KeyPackage leaf is not in the tree');
    const treeKeys = deriveJoinerPrivateKeys(cs, epoch.tree, toLeafIndex(leaf), own.leafPrivateKey, toLeafIndex(opened.groupInfo.signer), opened.groupSecrets.pathSecret);
    const s = opened.epochSecrets;
    return makeWorld(cs, epoch, leaf, treeKeys, s);
  } catch (e) {
    if (e instanceof MergeError) throw e;
    throw fail(epoch.key, 'joining from the Welcome failed', e);
  }
}

/** A fresh Update proposal for our leaf on `epoch` (body bytes, its ref, and the new leaf private key). */
export function buildUpdateProposal(cs: CipherSuite, world: World, epoch: PublicEpoch, keys: DeviceKeys): { body: Uint8Array; leafPrivateKey: Uint8Array } {
  if (world.framing === null) throw new MergeError('base_evicted', 'the head world lost its framing keys', epoch.key);
  const old = epoch.tree.leaves[world.leaf];
  if (!old) throw new MergeError('not_head_member', 'we are not a member of this epoch', epoch.key);
  const kp = cs.kemDeriveKeyPair(cs.randomBytes(cs.Nh));
  const content: LeafNodeContent = {
    encryptionKey: kp.publicKey,
    signatureKey: old.signatureKey,
    credential: old.credential,
    capabilities: old.capabilities,
    leafNodeSource: { type: 'update' },
    extensions: old.extensions,
  };
  const leafNode = signLeafNode(cs, content, keys.signature.privateKey, epoch.groupContext.groupId, world.leaf);
  const fc: FramedContent = {
    groupId: epoch.groupContext.groupId,
    epoch: epoch.epoch,
    sender: { senderType: 'member', leafIndex: world.leaf },
    authenticatedData: EMPTY,
    contentType: 'proposal',
    proposal: { proposalType: 'update', leafNode },
  };
  const signed = signFramedContent(cs, epoch.groupContextBytes, 'public_message', fc, keys.signature.privateKey);
  const msg = protectPublicMessage(cs, world.framing, signed);
  return { body: encodeMlsMessage({ wireFormat: 'public_message', publicMessage: msg }), leafPrivateKey: kp.privateKey };
}

/** A rejoin request: an Add of our own fresh KeyPackage from a new_member_proposal sender (stranded member). */
export function buildRejoinProposal(cs: CipherSuite, epoch: PublicEpoch, own: OwnKeyPackage, keys: DeviceKeys): Uint8Array {
  const fc: FramedContent = {
    groupId: epoch.groupContext.groupId,
    epoch: epoch.epoch,
    sender: { senderType: 'new_member_proposal' },
    authenticatedData: EMPTY,
    contentType: 'proposal',
    proposal: { proposalType: 'add', keyPackage: own.keyPackage },
  };
  const signed = signFramedContent(cs, epoch.groupContextBytes, 'public_message', fc, keys.signature.privateKey);
  return encodeMlsMessage({ wireFormat: 'public_message', publicMessage: { content: signed.content, auth: signed.auth, membershipTag: null } });
}

/** Encrypts application text in `world` (whose secret tree advances). Throws MergeError no_world when message keys are gone. */
export function encryptText(cs: CipherSuite, world: World, keys: DeviceKeys, text: string): Uint8Array {
  if (world.framing === null || world.secretTree === null) throw new MergeError('no_world', 'the message keys of this epoch were evicted', world.key);
  const out = protectApplicationData(cs, world.framing, world.secretTree, toLeafIndex(world.leaf), utf8(text), keys.signature.privateKey);
  world.secretTree = out.secretTree;
  return encodeMlsMessage({ wireFormat: 'private_message', privateMessage: out.message });
}

/** Decrypts a message body in `world`; returns the text and the sender identity. Throws MergeError or MlsError. */
export function decryptText(cs: CipherSuite, world: World, epoch: PublicEpoch, body: Uint8Array): { text: string; sender: string } {
  if (world.framing === null || world.secretTree === null) throw new MergeError('no_world', 'the message keys of this epoch were evicted', world.key);
  const m = decodeMlsMessage(body);
  if (m.wireFormat !== 'private_message') throw new MergeError('invalid_message', 'not a PrivateMessage', world.key);
  const out = unprotectPrivateMessage(cs, world.framing, world.secretTree, m.privateMessage, (c) =>
    c.sender.senderType === 'member' ? (epoch.tree.leaves[c.sender.leafIndex]?.signatureKey ?? null) : null,
  );
  world.secretTree = out.secretTree;
  const content = out.authenticatedContent.content;
  if (content.contentType !== 'application' || content.sender.senderType !== 'member') throw new MergeError('invalid_message', 'not application data', world.key);
  const leaf = epoch.tree.leaves[content.sender.leafIndex];
  return { text: textDecoder.decode(content.applicationData), sender: leaf ? getIdentity(leaf) : '?' };
}
