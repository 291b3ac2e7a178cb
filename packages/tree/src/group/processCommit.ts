// RFC 9420 section 12.4.2: processing a Commit from another member. Every check runs before any
// state is built, and the input state is never changed, so a rejected commit leaves the member
// exactly where it was (and a competing commit of the same epoch can still be processed).

import { bytesEqual } from '@weft/codec';
import { startLeafNodeSignatureCheck, type PendingLeafSignature } from '../ratchetTree/leafNodeSignature.ts';
import { MlsError } from '../errors.ts';
import { zeroSecret } from '../keySchedule.ts';
import { pruneTreePrivateKeys, type TreePrivateKeys } from '../treeKem/treePrivateKeys.ts';
import { processUpdatePath } from '../treeKem/treeKem.ts';
import { leafToNode, type LeafIndex } from '../treeMath.ts';
import { verifyConfirmationTag } from '../transcriptHash.ts';
import type { MlsMessage } from '../wire/mlsMessage.ts';
import { applyProposals, resolvePsks, type AddedMember } from './applyProposals.ts';
import { deriveNextEpoch, provisionalContext } from './commit.ts';
import { enterEpoch, retireEpoch, type GroupState, type RetiredEpoch } from './groupState.ts';
import { handOverLeafKeyIndex } from './leafNodeValidation.ts';
import { decodeHandshakeMessage, processProposal, resolveProposals, unprotectHandshake } from './proposals.ts';

/** Options of processCommit. */
export interface ProcessCommitOptions {
  /** Proposal messages of this epoch the commit may reference (processed first, as processProposal would). */
  readonly proposals?: readonly (Uint8Array | MlsMessage)[];
  /** Seconds since the Unix epoch, for KeyPackage lifetimes (no check without it). */
  readonly now?: bigint;
}

/** The result of processCommit: the next epoch, or the news that the commit removed us. */
export type ProcessedCommit =
  | {
      readonly kind: 'next_epoch';
      readonly state: GroupState;
      /** Leaf of the committer. */
      readonly committer: LeafIndex;
      readonly added: readonly AddedMember[];
      readonly removed: readonly LeafIndex[];
      /** The secrets of the epoch we left, for the fork layer to keep or erase. */
      readonly retired: RetiredEpoch;
    }
  | { readonly kind: 'removed'; readonly committer: LeafIndex; readonly epoch: bigint; readonly retired: RetiredEpoch };

/**
 * Verifies and applies a commit from another member (RFC 9420 section 12.4.2). Throws MlsError
 * (wrong_group, wrong_epoch, membership_tag_invalid, signature_invalid, not_a_commit,
 * commit_from_self, proposal_ref_unknown, committer_removed_self, duplicate_add,
 * commit_path_required, parent_hash_invalid, confirmation_tag_invalid, ...) or CodecError; the
 * input state is unchanged either way.
 */
export function processCommit(state: GroupState, message: Uint8Array | MlsMessage, options: ProcessCommitOptions = {}): ProcessedCommit {
  const cs = state.cs;
  const me = state.privateKeys.leafIndex;
  const m = decodeHandshakeMessage(message);
  // The committer's new leaf signature is checked on a helper thread (node provider) while this
  // thread checks the message signature and decrypts; the verdict is used where it always was.
  const pendingLeafSignature = startPathLeafCheck(state, m);
  let work = state;
  for (const p of options.proposals ?? []) work = processProposal(work, p).state;
  const { authenticated, secretTree } = unprotectHandshake(work, m);
  // A PrivateMessage commit used a handshake key of this epoch: the retired secret tree is the one without it.
  const retired: RetiredEpoch = { ...retireEpoch(state), secretTree };
  const content = authenticated.content;
  if (content.contentType !== 'commit') throw new MlsError('not_a_commit', `expected a commit, got ${content.contentType}`);
  const sender = content.sender;
  if (sender.senderType === 'new_member_commit') throw new MlsError('external_commit_unsupported', 'external commits are not supported');
  if (sender.senderType !== 'member') throw new MlsError('unknown_sender', `a ${sender.senderType} sender cannot commit`);
  const committer = sender.leafIndex as LeafIndex;
  if (committer === me) throw new MlsError('commit_from_self', 'our own commit was applied when we created it');
  const tag = authenticated.auth.confirmationTag;
  if (tag === null) throw new MlsError('confirmation_tag_missing', 'the commit has no confirmation_tag');

  const commit = content.commit;
  const resolved = resolveProposals(work, commit.proposals, committer);
  const applied = applyProposals(work, committer, resolved, options.now !== undefined ? { now: options.now } : {});
  if (applied.pathRequired && commit.path === null) throw new MlsError('commit_path_required', 'the commit needs an UpdatePath for its proposals');
  const psks = resolvePsks(work, applied.psks);
  if (applied.removed.includes(me)) return { kind: 'removed', committer, epoch: state.groupContext.epoch, retired };

  let privateKeys: TreePrivateKeys = state.privateKeys;
  if (applied.ownUpdateKey) {
    const nodeKeys = new Map(privateKeys.nodeKeys);
    nodeKeys.set(leafToNode(me), applied.ownUpdateKey);
    privateKeys = { leafIndex: me, nodeKeys };
  }
  privateKeys = pruneTreePrivateKeys(applied.tree, privateKeys);

  const provisional = provisionalContext(work, applied.extensions);
  let tree = applied.tree;
  let commitSecret = zeroSecret(cs);
  if (commit.path !== null) {
    // Section 7.3 checks of the committer's new leaf; its signature and parent hash are checked by the merge.
    applied.checker.check(commit.path.leafNode, committer, 'commit', false);
    const processed = processUpdatePath(cs, {
      tree,
      senderLeaf: committer,
      updatePath: commit.path,
      groupContext: provisional,
      excludedLeaves: applied.added.map((a) => a.leafIndex),
      privateKeys,
      pendingLeafSignature,
    });
    tree = processed.tree;
    commitSecret = processed.commitSecret;
    privateKeys = processed.privateKeys;
  }

  const next = deriveNextEpoch(work, provisional, tree, authenticated.wireFormat, content, authenticated.auth.signature, commitSecret, psks);
  if (!verifyConfirmationTag(cs, next.secrets.confirmationKey, next.confirmedTranscriptHash, tag)) {
    throw new MlsError('confirmation_tag_invalid', 'the commit confirmation_tag does not match the new epoch');
  }
  handOverLeafKeyIndex(state.tree, tree, commit.path !== null ? [...applied.changedLeaves, committer] : applied.changedLeaves);
  const newState = enterEpoch(cs, {
    groupContext: next.groupContext,
    tree,
    privateKeys,
    signaturePrivateKey: state.signaturePrivateKey,
    epochSecrets: next.secrets,
    confirmationTag: tag,
    previousResumptionPsks: state.resumptionPsks,
    externalPsks: state.externalPsks,
    options: state.options,
  });
  return { kind: 'next_epoch', state: newState, committer, added: applied.added, removed: applied.removed, retired };
}

/**
 * Starts the path leaf's signature check of a PublicMessage commit from a member of this group and
 * epoch, else null. Only messages that pass these cheap checks get an early check, so junk for other
 * groups or epochs costs no more than before (with the node provider the verify itself runs when
 * the verdict is collected, after the membership tag).
 */
function startPathLeafCheck(state: GroupState, m: MlsMessage): PendingLeafSignature | null {
  if (m.wireFormat !== 'public_message') return null;
  const content = m.publicMessage.content;
  if (content.contentType !== 'commit' || content.commit.path === null || content.sender.senderType !== 'member') return null;
  if (content.epoch !== state.groupContext.epoch || !bytesEqual(content.groupId, state.groupContext.groupId)) return null;
  if (!state.tree.leaves[content.sender.leafIndex] || content.sender.leafIndex === state.privateKeys.leafIndex) return null;
  return startLeafNodeSignatureCheck(state.cs, content.commit.path.leafNode, content.groupId, content.sender.leafIndex);
}

/** True when two states are in the same epoch with the same epoch authenticator (a cheap agreement check). */
export function isSameEpoch(a: GroupState, b: GroupState): boolean {
  return a.groupContext.epoch === b.groupContext.epoch && bytesEqual(a.epochSecrets.epochAuthenticator, b.epochSecrets.epochAuthenticator);
}
