// The public side of an epoch: what any replica (a site included) can compute from the DAG alone.
// Ratchet tree, GroupContext and interim transcript hash follow RFC 9420 with no secret: proposals
// and UpdatePath public keys are applied to the public tree, signatures are checked against the
// base epoch's leaves, transcript hashes chain the public commit bytes. Membership tags and
// confirmation tags need epoch secrets, so only devices check them (see worlds.ts).
//
// Weft choices (documented in README): epoch 0 is built from the genesis body, an MLSMessage
// KeyPackage of the creator; group_id is deriveMlsGroupId(genesis CID); epoch 0's interim transcript hash
// is empty (RFC 9420 derives it from a confirmation tag, which is secret); every commit carries a
// path; Update proposals travel as `proposal` events and are committed by reference, Add and
// Remove proposals inline; a member's identity (basic credential) is unique in the group.

import type { CipherSuite } from '@weft/crypto';
import { Writer, bytesEqual, toHex, varintSize } from '@weft/codec';
import {
  MlsError,
  verifyFramedContentTbsPartsSignature,
  addLeaf,
  computeConfirmedTranscriptHash,
  computeInterimTranscriptHash,
  computeTreeHash,
  createRatchetTree,
  decodeMlsMessage,
  encodeAuthenticatedContent,
  encodeConfirmedTranscriptHashInput,
  encodeGroupContext,
  findFreeLeaf,
  makeKeyPackageRef,
  makeProposalRef,
  encodeKeyPackage,
  mergeUpdatePath,
  removeLeaf,
  updateLeaf,
  validateKeyPackage,
  validateLeafNode,
  verifyFramedContentSignature,
  writeProtocolVersion,
  writeWireFormat,
  leafIndex as toLeafIndex,
  type AuthenticatedContent,
  type FramedContent,
  type GroupContext,
  type KeyPackage,
  type LeafNode,
  type Proposal,
  type PublicMessage,
  type RatchetTree,
  type UpdatePath,
} from '@weft/tree';
import type { CheckedEvent } from '@weft/dag';
import { cidKey, formatCid } from '@weft/dag';
import { MergeError, codeOf } from './errors.ts';
import { deriveMlsGroupId } from './groupId.ts';

const EMPTY = new Uint8Array(0);
const textDecoder = new TextDecoder();

/**
 * Leaf -> DAG height, copy-on-write in one Int32Array (-1 = none). An epoch holds three of these;
 * typed arrays keep a long history of epochs small and cheap for the garbage collector.
 */
export class LeafHeights {
  readonly #a: Int32Array;
  constructor(a: Int32Array) {
    this.#a = a;
  }
  /** One leaf at `height` in a tree of `leafCount` leaves. */
  static of(leafCount: number, entries: readonly (readonly [number, number])[]): LeafHeights {
    const a = new Int32Array(leafCount).fill(-1);
    for (const [l, h] of entries) a[l] = h;
    return new LeafHeights(a);
  }
  /** Height of `leaf`, or undefined. */
  get(leaf: number): number | undefined {
    const v = this.#a[leaf];
    return v === undefined || v < 0 ? undefined : v;
  }
  /** A copy sized for `leafCount` leaves with `set` applied (height, or null to clear). */
  with(leafCount: number, set: readonly (readonly [number, number | null])[]): LeafHeights {
    const a = new Int32Array(leafCount).fill(-1);
    a.set(this.#a.subarray(0, Math.min(leafCount, this.#a.length)));
    for (const [l, h] of set) if (l < leafCount) a[l] = h === null ? -1 : h;
    return new LeafHeights(a);
  }
}

/** A member added by a commit. */
export interface AddedMember {
  readonly identity: string;
  readonly leaf: number;
  readonly keyPackage: KeyPackage;
  /** Hex KeyPackageRef (names the joiner in the Welcome). */
  readonly keyPackageRef: string;
}

/** What a commit changed: its intents, as the rebase rule reads them. */
export interface EpochChange {
  readonly committer: number;
  readonly committerIdentity: string;
  readonly adds: readonly AddedMember[];
  readonly removes: readonly { readonly identity: string; readonly leaf: number }[];
  /** Update proposals the commit applied (leaf, identity, proposal ref hex). */
  readonly updates: readonly { readonly identity: string; readonly leaf: number; readonly ref: string }[];
  /** Keys (cidKey) of losing commits the event says it resolves. */
  readonly resolves: readonly string[];
  /**
   * Inputs of a member's path decryption: the tree after the proposals (before the path) and the
   * UpdatePath. Null once released (releasePathInputs): a replica that will never process this
   * commit privately does not keep a second tree per epoch.
   */
  treeAfterProposals: RatchetTree | null;
  path: UpdatePath | null;
  readonly confirmationTag: Uint8Array;
}

/** The public state of one epoch (genesis or commit), named by its event's CID. */
export interface PublicEpoch {
  /** cidKey of the event that produced the epoch. */
  readonly key: string;
  /** DAG height of that event. */
  readonly height: number;
  readonly epoch: bigint;
  readonly tree: RatchetTree;
  readonly groupContext: GroupContext;
  /** Serialized GroupContext (signed inside FramedContentTBS). */
  readonly groupContextBytes: Uint8Array;
  readonly interimTranscriptHash: Uint8Array;
  /**
   * Leaf -> section 4's lastUpdate: DAG height of the member's Add or of its last commit with a
   * path. Weft does not count committed Update proposals here (see README: they replay refreshes
   * lost in forks, and counting them would let the winner of a race win every later race).
   */
  readonly lastUpdate: LeafHeights;
  /** Leaf -> DAG height of the commit that last set its LeafNode by any means (rebase satisfaction). */
  readonly lastRefresh: LeafHeights;
  /** Leaf -> DAG height of the handshake that added the current occupant. */
  readonly addedAt: LeafHeights;
  /** Leaf -> identity (UTF-8 of the basic credential). */
  readonly identities: ReadonlyMap<number, string>;
  /** Identity -> leaf. */
  readonly leafOf: ReadonlyMap<string, number>;
  /** cidKey of the base epoch (null for genesis). */
  readonly base: string | null;
  /** What the commit did (null for genesis). */
  readonly change: EpochChange | null;
}

/** A public Update or Add proposal published as a `proposal` event. */
export interface ProposalRecord {
  readonly key: string;
  readonly base: string;
  readonly height: number;
  /** Proposer's leaf in the base epoch (Update), or null (an Add from a new_member_proposal sender: a rejoin request). */
  readonly senderLeaf: number | null;
  readonly proposal: Proposal;
  /** Hex ProposalRef of its AuthenticatedContent. */
  readonly ref: string;
}

/** Identity string of a LeafNode (basic credential as UTF-8; x509 as hex of the first certificate). */
export function getIdentity(leaf: LeafNode): string {
  const c = leaf.credential;
  if (c.credentialType === 'basic') return textDecoder.decode(c.identity);
  return toHex(c.certificates[0] ?? EMPTY);
}

function invalid(code: 'invalid_commit' | 'invalid_proposal' | 'not_member' | 'path_required' | 'bogus_resolves' | 'event_invalid', cid: string, what: string, e?: unknown): MergeError {
  const detail = e === undefined ? undefined : codeOf(e);
  const msg = e instanceof Error ? `${what}: ${e.message}` : what;
  return new MergeError(code, msg, cid, detail);
}

/** Decodes a body that must be an MLS PublicMessage. */
function decodePublic(body: Uint8Array, cid: string, code: 'invalid_commit' | 'invalid_proposal'): PublicMessage {
  try {
    const m = decodeMlsMessage(body);
    if (m.wireFormat !== 'public_message') throw invalid(code, cid, `body is a ${m.wireFormat}, not a PublicMessage`);
    return m.publicMessage;
  } catch (e) {
    if (e instanceof MergeError) throw e;
    throw invalid(code, cid, 'body does not decode as an MLSMessage', e);
  }
}

/** Encoded size of an opaque<V> field holding `b`. */
function opaqueSize(b: Uint8Array): number {
  return varintSize(b.length) + b.length;
}

/**
 * The FramedContent of a PublicMessage MLSMessage `body` as its bytes were received: after the
 * 4-byte MLSMessage header (version, wire_format), before the auth data and membership tag. The
 * strict decoder read exactly these bytes as `msg.content` (minimal varints, nothing left over),
 * so they are the bytes writeFramedContent makes of it, got without encoding the content (with
 * its UpdatePath, large in a big group) a second time.
 */
function sliceFramedContent(body: Uint8Array, msg: PublicMessage): Uint8Array {
  let tail = opaqueSize(msg.auth.signature);
  if (msg.auth.confirmationTag !== null) tail += opaqueSize(msg.auth.confirmationTag);
  if (msg.membershipTag !== null) tail += opaqueSize(msg.membershipTag);
  return body.subarray(4, body.length - tail);
}

/** Public epoch 0 from a genesis event whose body is the creator's KeyPackage (MLSMessage). */
export function createGenesisEpoch(cs: CipherSuite, checked: CheckedEvent): PublicEpoch {
  const cid = formatCid(checked.cid);
  let kp: KeyPackage;
  try {
    const m = decodeMlsMessage(checked.event.body);
    if (m.wireFormat !== 'key_package') throw new MlsError('key_package_invalid', `genesis body is a ${m.wireFormat}`);
    kp = m.keyPackage;
    validateKeyPackage(cs, kp);
  } catch (e) {
    throw invalid('event_invalid', cid, 'genesis body is not a valid KeyPackage', e);
  }
  if (!bytesEqual(kp.leafNode.signatureKey, checked.event.author.key)) throw invalid('not_member', cid, 'genesis author is not the KeyPackage signer');
  const tree = createRatchetTree(kp.leafNode);
  const gc: GroupContext = {
    cipherSuite: cs.id,
    groupId: deriveMlsGroupId(checked.cid),
    epoch: 0n,
    treeHash: computeTreeHash(cs, tree),
    confirmedTranscriptHash: EMPTY,
    extensions: [],
  };
  const identity = getIdentity(kp.leafNode);
  return {
    key: cidKey(checked.cid),
    height: 0,
    epoch: 0n,
    tree,
    groupContext: gc,
    groupContextBytes: encodeGroupContext(gc),
    interimTranscriptHash: EMPTY,
    lastUpdate: LeafHeights.of(1, [[0, 0]]),
    lastRefresh: LeafHeights.of(1, [[0, 0]]),
    addedAt: LeafHeights.of(1, [[0, 0]]),
    identities: new Map([[0, identity]]),
    leafOf: new Map([[identity, 0]]),
    base: null,
    change: null,
  };
}

/** A proposal list resolved for application: inline or by reference to a proposal event. */
export interface ResolvedProposal {
  readonly proposal: Proposal;
  /** Sender leaf for an Update by reference. */
  readonly senderLeaf: number | null;
  readonly ref: string | null;
  /** True for a proposal event already validated against the same base epoch. */
  readonly prevalidated?: boolean;
}

/** Result of applying proposals to a public epoch's tree. */
export interface AppliedProposals {
  readonly tree: RatchetTree;
  readonly adds: AddedMember[];
  readonly removes: { identity: string; leaf: number }[];
  readonly updates: { identity: string; leaf: number; ref: string }[];
  /** Shared with the base epoch when membership did not change: never mutate. */
  readonly identities: Map<number, string>;
  readonly leafOf: Map<string, number>;
}

/**
 * Applies Update, Remove and Add proposals (RFC 9420 section 12.3 order) for committer `committer`;
 * throws MlsError naming the broken rule. Shared by commit creation and validation.
 */
export function applyProposals(cs: CipherSuite, base: PublicEpoch, committer: number, proposals: readonly ResolvedProposal[]): AppliedProposals {
  let tree = base.tree;
  // Identity maps are copied only when membership changes (update-only commits share them).
  const changesMembers = proposals.some((p) => p.proposal.proposalType !== 'update');
  const identities = changesMembers ? new Map(base.identities) : (base.identities as Map<number, string>);
  const leafOf = changesMembers ? new Map(base.leafOf) : (base.leafOf as Map<string, number>);
  const touched = new Set<number>();
  const updates: { identity: string; leaf: number; ref: string }[] = [];
  const removes: { identity: string; leaf: number }[] = [];
  const adds: AddedMember[] = [];
  const groupId = base.groupContext.groupId;
  for (const p of proposals) {
    if (p.proposal.proposalType !== 'update') continue;
    const leaf = p.senderLeaf;
    if (leaf === null || p.ref === null) throw new MlsError('proposal_sender_invalid', 'an Update must come by reference from its member');
    if (leaf === committer) throw new MlsError('committer_update_included', 'a commit may not include an Update of its own committer');
    if (touched.has(leaf)) throw new MlsError('duplicate_leaf_change', `leaf ${leaf} is changed twice`);
    const old = tree.leaves[leaf];
    if (!old) throw new MlsError('proposal_sender_invalid', `Update from blank leaf ${leaf}`);
    if (p.prevalidated) {
      // Validated in full against this base when its proposal event was accepted (signature
      // included); only uniqueness against earlier Updates of this commit can have changed.
      const enc = p.proposal.leafNode.encryptionKey;
      tree.leaves.forEach((other, l) => {
        if (other && l !== leaf && bytesEqual(other.encryptionKey, enc)) throw new MlsError('duplicate_encryption_key', `member ${l} already uses this encryption key`);
      });
    } else {
      validateLeafNode(cs, tree, p.proposal.leafNode, { groupId, source: 'update', leafIndex: toLeafIndex(leaf), groupContextExtensions: base.groupContext.extensions });
    }
    if (getIdentity(p.proposal.leafNode) !== getIdentity(old)) throw new MlsError('credential_invalid', `an Update may not change the identity of leaf ${leaf}`);
    touched.add(leaf);
    tree = updateLeaf(tree, toLeafIndex(leaf), p.proposal.leafNode);
    updates.push({ identity: getIdentity(old), leaf, ref: p.ref });
  }
  for (const p of proposals) {
    if (p.proposal.proposalType !== 'remove') continue;
    const leaf = p.proposal.removed;
    if (leaf === committer) throw new MlsError('committer_removed_self', 'a committer may not remove itself');
    if (touched.has(leaf)) throw new MlsError('duplicate_leaf_change', `leaf ${leaf} is changed twice`);
    if (!Number.isInteger(leaf) || leaf < 0 || leaf >= tree.leafCount || !tree.leaves[leaf]) throw new MlsError('remove_target_invalid', `leaf ${leaf} is not a member`);
    touched.add(leaf);
    const identity = identities.get(leaf) ?? '';
    tree = removeLeaf(tree, toLeafIndex(leaf));
    identities.delete(leaf);
    leafOf.delete(identity);
    removes.push({ identity, leaf });
  }
  for (const p of proposals) {
    const t = p.proposal.proposalType;
    if (t === 'update' || t === 'remove') continue;
    if (p.proposal.proposalType !== 'add') throw new MlsError('proposal_unsupported', `proposal type ${t} is not used by Weft`);
    const kp = p.proposal.keyPackage;
    validateKeyPackage(cs, kp);
    const identity = getIdentity(kp.leafNode);
    if (leafOf.has(identity)) throw new MlsError('duplicate_add', `identity ${identity} is already a member`);
    const at = findFreeLeaf(tree) ?? tree.leafCount;
    validateLeafNode(cs, tree, kp.leafNode, { groupId, source: 'key_package', leafIndex: toLeafIndex(at), groupContextExtensions: base.groupContext.extensions });
    const added = addLeaf(tree, kp.leafNode);
    tree = added.tree;
    identities.set(added.leafIndex, identity);
    leafOf.set(identity, added.leafIndex);
    adds.push({ identity, leaf: added.leafIndex, keyPackage: kp, keyPackageRef: toHex(makeKeyPackageRef(cs, encodeKeyPackage(kp))) });
  }
  return { tree, adds, removes, updates, identities, leafOf };
}

/** ProposalRef (hex) of a proposal PublicMessage. */
export function computeProposalRef(cs: CipherSuite, message: PublicMessage): string {
  const ac: AuthenticatedContent = { wireFormat: 'public_message', content: message.content, auth: message.auth };
  return toHex(makeProposalRef(cs, encodeAuthenticatedContent(ac)));
}

/**
 * Validates a `proposal` event against its base epoch (public checks only) and returns its record.
 * Weft accepts an Update from a member (author = that leaf) or an Add of a member's own fresh
 * KeyPackage from a new_member_proposal sender (a stranded member asking to be re-added).
 */
export function readProposalEvent(cs: CipherSuite, base: PublicEpoch, checked: CheckedEvent, height: number): ProposalRecord {
  const cid = formatCid(checked.cid);
  const msg = decodePublic(checked.event.body, cid, 'invalid_proposal');
  const content = msg.content;
  if (content.contentType !== 'proposal') throw invalid('invalid_proposal', cid, `a proposal event carries ${content.contentType} content`);
  if (!bytesEqual(content.groupId, base.groupContext.groupId) || content.epoch !== base.epoch) throw invalid('invalid_proposal', cid, 'proposal names another group or epoch than its base');
  const p = content.proposal;
  const ac: AuthenticatedContent = { wireFormat: 'public_message', content, auth: msg.auth };
  try {
    if (content.sender.senderType === 'member' && p.proposalType === 'update') {
      const leaf = content.sender.leafIndex;
      const member = base.tree.leaves[leaf];
      if (!member || checked.event.author.leaf !== leaf || !bytesEqual(member.signatureKey, checked.event.author.key)) {
        throw invalid('not_member', cid, `the proposer is not the member at leaf ${leaf} of the base epoch`);
      }
      // Signature and ProposalRef over the received bytes (see sliceFramedContent): the same
      // bytes verifyFramedContentSignature and computeProposalRef would encode.
      const body = checked.event.body;
      const contentBytes = sliceFramedContent(body, msg);
      if (!verifyMemberSignature(cs, member.signatureKey, contentBytes, base.groupContextBytes, msg.auth.signature)) {
        throw new MlsError('signature_invalid', 'the FramedContent signature does not verify');
      }
      validateLeafNode(cs, base.tree, p.leafNode, { groupId: base.groupContext.groupId, source: 'update', leafIndex: toLeafIndex(leaf), groupContextExtensions: base.groupContext.extensions });
      if (getIdentity(p.leafNode) !== getIdentity(member)) throw new MlsError('credential_invalid', 'an Update may not change identity');
      // AuthenticatedContent = wire_format || content || auth: the body without version and membership tag.
      const authenticated = body.subarray(2, body.length - (msg.membershipTag === null ? 0 : opaqueSize(msg.membershipTag)));
      return { key: cidKey(checked.cid), base: base.key, height, senderLeaf: leaf, proposal: p, ref: toHex(makeProposalRef(cs, authenticated)) };
    }
    if (content.sender.senderType === 'new_member_proposal' && p.proposalType === 'add') {
      const kp = p.keyPackage;
      validateKeyPackage(cs, kp);
      if (!bytesEqual(kp.leafNode.signatureKey, checked.event.author.key)) throw invalid('not_member', cid, 'a rejoin request must be signed by its KeyPackage key');
      if (!base.leafOf.has(getIdentity(kp.leafNode))) throw invalid('not_member', cid, 'only a current member may ask to be re-added');
      verifyFramedContentSignature(cs, base.groupContextBytes, ac, kp.leafNode.signatureKey);
      return { key: cidKey(checked.cid), base: base.key, height, senderLeaf: null, proposal: p, ref: computeProposalRef(cs, msg) };
    }
  } catch (e) {
    if (e instanceof MergeError) throw e;
    throw invalid('invalid_proposal', cid, 'proposal fails validation', e);
  }
  throw invalid('invalid_proposal', cid, `unsupported proposal ${p.proposalType} from a ${content.sender.senderType} sender`);
}

/** Looks up a proposal event by ProposalRef among those on a base epoch. */
export type ProposalLookup = (base: string, ref: string) => ProposalRecord | undefined;

/** The new GroupContext and transcript hashes of a commit (public computation). */
export function computeCommitContext(
  cs: CipherSuite,
  base: PublicEpoch,
  tree: RatchetTree,
  content: FramedContent,
  signature: Uint8Array,
  confirmationTag: Uint8Array,
  contentBytes?: Uint8Array,
): { groupContext: GroupContext; interim: Uint8Array } {
  const input = contentBytes === undefined ? encodeConfirmedTranscriptHashInput('public_message', content, signature) : encodeConfirmedInputFrom(contentBytes, signature);
  const confirmed = computeConfirmedTranscriptHash(cs, base.interimTranscriptHash, input);
  const groupContext: GroupContext = {
    cipherSuite: base.groupContext.cipherSuite,
    groupId: base.groupContext.groupId,
    epoch: base.epoch + 1n,
    treeHash: computeTreeHash(cs, tree),
    confirmedTranscriptHash: confirmed,
    extensions: base.groupContext.extensions,
  };
  return { groupContext, interim: computeInterimTranscriptHash(cs, confirmed, confirmationTag) };
}

/** ConfirmedTranscriptHashInput (RFC 9420 section 8.2) of a PublicMessage from its already encoded FramedContent. */
function encodeConfirmedInputFrom(contentBytes: Uint8Array, signature: Uint8Array): Uint8Array {
  const w = new Writer(contentBytes.length + signature.length + 8);
  writeWireFormat(w, 'public_message');
  w.raw(contentBytes);
  w.opaque(signature);
  return w.finish();
}

/** The FramedContentTBS prefix of a PublicMessage: version (mls10) and wire_format. */
const PUBLIC_TBS_HEADER = ((): Uint8Array => {
  const w = new Writer(4);
  writeProtocolVersion(w);
  writeWireFormat(w, 'public_message');
  return w.finish();
})();

/** True when `signature` is the member's FramedContentTBS signature over these content bytes; false for a malformed key or signature too. */
function verifyMemberSignature(cs: CipherSuite, key: Uint8Array, contentBytes: Uint8Array, groupContextBytes: Uint8Array, signature: Uint8Array): boolean {
  // FramedContentTBS of a member's PublicMessage = header || content || GroupContext, verified as
  // byte ranges (no concatenated copy of a commit's content).
  try {
    verifyFramedContentTbsPartsSignature(cs, [PUBLIC_TBS_HEADER, contentBytes, groupContextBytes], signature, key);
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates a `commit` event publicly against its base epoch and returns the new epoch. Checks:
 * PublicMessage commit for the base group and epoch, author = member at its leaf, FramedContent
 * signature under that leaf's key, proposals valid (RFC 9420 section 12.2), a path that merges
 * (leaf signature, parent hash). Throws MergeError (not_member, invalid_commit, path_required).
 */
export function applyCommit(cs: CipherSuite, base: PublicEpoch, checked: CheckedEvent, height: number, lookup: ProposalLookup): PublicEpoch {
  const cid = formatCid(checked.cid);
  const ev = checked.event;
  const msg = decodePublic(ev.body, cid, 'invalid_commit');
  const content = msg.content;
  if (content.contentType !== 'commit') throw invalid('invalid_commit', cid, `a commit event carries ${content.contentType} content`);
  if (!bytesEqual(content.groupId, base.groupContext.groupId) || content.epoch !== base.epoch) throw invalid('invalid_commit', cid, 'commit names another group or epoch than its base');
  if (content.sender.senderType !== 'member') throw invalid('not_member', cid, 'a commit must come from a member');
  const committer = content.sender.leafIndex;
  const member = base.tree.leaves[committer];
  if (!member || ev.author.leaf !== committer || !bytesEqual(member.signatureKey, ev.author.key)) {
    throw invalid('not_member', cid, `the author is not the member at leaf ${committer} of the base epoch`);
  }
  const confirmationTag = msg.auth.confirmationTag;
  if (confirmationTag === null) throw invalid('invalid_commit', cid, 'the commit has no confirmation_tag');
  // The FramedContent bytes (UpdatePath included: large in a big group) serve both the signature
  // check and the confirmed transcript hash, taken from the body rather than encoded again (see
  // sliceFramedContent). Same check as verifyFramedContentSignature (sender is a member, checked above).
  const contentBytes = sliceFramedContent(ev.body, msg);
  if (!verifyMemberSignature(cs, member.signatureKey, contentBytes, base.groupContextBytes, msg.auth.signature)) throw invalid('invalid_commit', cid, 'commit signature', new MlsError('signature_invalid', 'the FramedContent signature does not verify'));
  const commit = content.commit;
  if (commit.path === null) throw invalid('path_required', cid, 'Weft commits always carry an UpdatePath');
  const resolved: ResolvedProposal[] = [];
  for (const por of commit.proposals) {
    if (por.type === 'proposal') {
      if (por.proposal.proposalType === 'update') throw invalid('invalid_commit', cid, 'an inline Update is not allowed in a commit');
      resolved.push({ proposal: por.proposal, senderLeaf: null, ref: null });
    } else {
      const rec = lookup(base.key, toHex(por.reference));
      if (!rec || rec.senderLeaf === null) throw invalid('invalid_commit', cid, 'the commit references an unknown Update proposal', new MlsError('proposal_ref_unknown', 'unknown ProposalRef'));
      resolved.push({ proposal: rec.proposal, senderLeaf: rec.senderLeaf, ref: rec.ref, prevalidated: true });
    }
  }
  let applied: AppliedProposals;
  let merged: RatchetTree;
  try {
    applied = applyProposals(cs, base, committer, resolved);
    const leaf = commit.path.leafNode;
    if (getIdentity(leaf) !== getIdentity(member) || !bytesEqual(leaf.signatureKey, member.signatureKey)) {
      throw new MlsError('credential_invalid', "a commit's path may not change its committer's identity or signature key");
    }
    // mergeUpdatePath checks the source, the leaf signature and the parent hash; the rest of
    // section 7.3 that can differ for a committer's own leaf is the key uniqueness below (one
    // signature verification fewer than validateLeafNode, which would check the signature again).
    applied.tree.leaves.forEach((other, l) => {
      if (other && l !== committer && bytesEqual(other.encryptionKey, leaf.encryptionKey)) throw new MlsError('duplicate_encryption_key', `member ${l} already uses this encryption key`);
    });
    merged = mergeUpdatePath(cs, applied.tree, toLeafIndex(committer), commit.path, base.groupContext.groupId);
  } catch (e) {
    if (e instanceof MergeError) throw e;
    throw invalid('invalid_commit', cid, 'commit fails MLS validation', e);
  }
  const { groupContext, interim } = computeCommitContext(cs, base, merged, content, msg.auth.signature, confirmationTag, contentBytes);
  const n = merged.leafCount;
  const gone = applied.removes.map((r) => [r.leaf, null] as const);
  const added = applied.adds.map((a) => [a.leaf, height] as const);
  const lastUpdate = base.lastUpdate.with(n, [...gone, ...added, [committer, height]]);
  const lastRefresh = base.lastRefresh.with(n, [...gone, ...added, ...applied.updates.map((u) => [u.leaf, height] as const), [committer, height]]);
  const addedAt = gone.length === 0 && added.length === 0 && n === base.tree.leafCount ? base.addedAt : base.addedAt.with(n, [...gone, ...added]);
  return {
    key: cidKey(checked.cid),
    height,
    epoch: groupContext.epoch,
    tree: merged,
    groupContext,
    groupContextBytes: encodeGroupContext(groupContext),
    interimTranscriptHash: interim,
    lastUpdate,
    lastRefresh,
    addedAt,
    identities: applied.identities,
    leafOf: applied.leafOf,
    base: base.key,
    change: {
      committer,
      committerIdentity: getIdentity(member),
      adds: applied.adds,
      removes: applied.removes,
      updates: applied.updates,
      resolves: (ev.resolves ?? []).map(cidKey),
      treeAfterProposals: applied.tree,
      path: commit.path,
      confirmationTag,
    },
  };
}

/** Drops a commit epoch's path-decryption inputs (see EpochChange). */
export function releasePathInputs(epoch: PublicEpoch): void {
  if (epoch.change) {
    epoch.change.treeAfterProposals = null;
    epoch.change.path = null;
  }
}

/** Sorted member identities of an epoch. */
export function listIdentities(epoch: PublicEpoch): string[] {
  return [...epoch.leafOf.keys()].sort();
}
