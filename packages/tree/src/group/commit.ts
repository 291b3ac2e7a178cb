// RFC 9420 section 12.4: creating a Commit. The committer validates and applies the proposals,
// adds an UpdatePath when one is required (or asked for), signs the commit under the current
// epoch, derives the next epoch from the transcript and key schedule, attaches the confirmation
// tag, and builds the Welcome for new members.

import type { CipherSuite } from '@weft/crypto';
import { attachConfirmationTag, signFramedContent } from '../framing/contentAuth.ts';
import { runKeySchedule, zeroSecret, type KeyScheduleSecrets } from '../keySchedule.ts';
import { computePskSecret, type PskInput } from '../psk.ts';
import { encodeRatchetTree, type RatchetTree } from '../ratchetTree/ratchetTree.ts';
import { computeTreeHash } from '../ratchetTree/treeHash.ts';
import { makeKeyPackageRef } from '../references.ts';
import { computeConfirmationTag, computeConfirmedTranscriptHash } from '../transcriptHash.ts';
import type { LeafIndex } from '../treeMath.ts';
import { createUpdatePath, selectJoinerPathSecret, type ProvisionalGroupContext } from '../treeKem/treeKem.ts';
import { pruneTreePrivateKeys, type TreePrivateKeys } from '../treeKem/treePrivateKeys.ts';
import { signGroupInfo } from '../welcomeSecrets.ts';
import { createWelcomeForMembers } from './welcome.ts';
import type { Commit } from '../wire/commit.ts';
import { ExtensionType, type Extension } from '../wire/extension.ts';
import { encodeConfirmedTranscriptHashInput, type FramedContent } from '../wire/framedContent.ts';
import { groupContextBytes, type GroupContext } from '../wire/groupContext.ts';
import type { GroupInfo } from '../wire/groupInfo.ts';
import { encodeKeyPackage, type KeyPackage } from '../wire/keyPackage.ts';
import { encodeMlsMessage } from '../wire/mlsMessage.ts';
import type { PreSharedKeyID, Proposal, ProposalOrRef } from '../wire/proposal.ts';
import type { WireFormat } from '../wire/enums.ts';
import { applyProposals, resolvePsks, type AddedMember } from './applyProposals.ts';
import { handOverLeafKeyIndex } from './leafNodeValidation.ts';
import { enterEpoch, retireEpoch, type GroupState, type RetiredEpoch } from './groupState.ts';
import { frameHandshake, resolveProposals, type HandshakeWireFormat } from './proposals.ts';

/** What a commit should do besides committing pending proposals. */
export interface CommitOptions {
  /** KeyPackages to add (by value). */
  readonly add?: readonly KeyPackage[];
  /** Leaves to remove (by value). */
  readonly remove?: readonly LeafIndex[];
  /** Include an UpdatePath even when no proposal requires one (refreshes our leaf and path). */
  readonly update?: boolean;
  /** PSKs to inject (by value); their values must be held by the state. */
  readonly psks?: readonly PreSharedKeyID[];
  /** New GroupContext extensions (by value). */
  readonly groupContextExtensions?: readonly Extension[];
  /** Pending proposals to commit by reference: 'all' (default: every pending one except our own Updates and Removes of us) or a list of refs. */
  readonly byReference?: 'all' | readonly Uint8Array[];
  /** Put the ratchet tree in the Welcome's GroupInfo (ratchet_tree extension; default true). */
  readonly ratchetTreeExtension?: boolean;
  /** Also return a signed GroupInfo of the new epoch when no one is added. */
  readonly groupInfo?: boolean;
  /** Wire format of the commit (default public_message). */
  readonly wireFormat?: HandshakeWireFormat;
  readonly authenticatedData?: Uint8Array;
  /** Seconds since the Unix epoch, for KeyPackage lifetimes (no check without it). */
  readonly now?: bigint;
}

/** The result of createCommit. */
export interface CreatedCommit {
  /** Our state in the new epoch. */
  readonly state: GroupState;
  /** The commit as MLSMessage bytes, to send to the group. */
  readonly commit: Uint8Array;
  /** The Welcome as MLSMessage bytes when members were added, else null. */
  readonly welcome: Uint8Array | null;
  /** The signed GroupInfo of the new epoch (when members were added or asked for), else null. */
  readonly groupInfo: GroupInfo | null;
  readonly added: readonly AddedMember[];
  /** The secrets of the epoch we left, for the fork layer to keep or erase. */
  readonly retired: RetiredEpoch;
}

/** The key schedule and transcript step shared by commit creation and processing. */
export interface NextEpoch {
  readonly groupContext: GroupContext;
  readonly secrets: KeyScheduleSecrets;
  readonly confirmedTranscriptHash: Uint8Array;
}

/** Derives the new GroupContext and epoch secrets from a signed commit (RFC 9420 sections 8 and 8.2). */
export function deriveNextEpoch(
  state: GroupState,
  provisional: ProvisionalGroupContext,
  tree: RatchetTree,
  wireFormat: WireFormat,
  content: FramedContent,
  signature: Uint8Array,
  commitSecret: Uint8Array,
  psks: readonly PskInput[],
): NextEpoch {
  const cs = state.cs;
  const confirmedTranscriptHash = computeConfirmedTranscriptHash(cs, state.interimTranscriptHash, encodeConfirmedTranscriptHashInput(wireFormat, content, signature));
  const groupContext: GroupContext = { ...provisional, treeHash: computeTreeHash(cs, tree), confirmedTranscriptHash };
  const secrets = runKeySchedule(cs, {
    initSecret: state.epochSecrets.initSecret,
    commitSecret,
    pskSecret: computePskSecret(cs, psks),
    groupContext: groupContextBytes(groupContext),
  });
  return { groupContext, secrets, confirmedTranscriptHash };
}

/** The provisional GroupContext of the next epoch: old transcript hash, new extensions, no tree hash yet. */
export function provisionalContext(state: GroupState, extensions: readonly Extension[]): ProvisionalGroupContext {
  const gc = state.groupContext;
  return { cipherSuite: gc.cipherSuite, groupId: gc.groupId, epoch: gc.epoch + 1n, confirmedTranscriptHash: gc.confirmedTranscriptHash, extensions };
}

function collectProposals(state: GroupState, options: CommitOptions): ProposalOrRef[] {
  const me = state.privateKeys.leafIndex;
  const out: ProposalOrRef[] = [];
  const byRef = options.byReference ?? 'all';
  if (byRef === 'all') {
    for (const p of state.pendingProposals.values()) {
      // Our own Updates cannot be committed by us (RFC 9420 section 12.2); the path refreshes our leaf instead.
      if (p.proposal.proposalType === 'update' && p.sender.senderType === 'member' && p.sender.leafIndex === me) continue;
      // Nor can a Remove of ourselves: someone else has to commit that one.
      if (p.proposal.proposalType === 'remove' && p.proposal.removed === me) continue;
      out.push({ type: 'reference', reference: p.ref });
    }
  } else {
    for (const ref of byRef) out.push({ type: 'reference', reference: ref });
  }
  const inline: Proposal[] = [
    ...(options.groupContextExtensions ? [{ proposalType: 'group_context_extensions' as const, extensions: options.groupContextExtensions }] : []),
    ...(options.remove ?? []).map((removed) => ({ proposalType: 'remove' as const, removed })),
    ...(options.add ?? []).map((keyPackage) => ({ proposalType: 'add' as const, keyPackage })),
    ...(options.psks ?? []).map((psk) => ({ proposalType: 'psk' as const, psk })),
  ];
  for (const proposal of inline) out.push({ type: 'proposal', proposal });
  return out;
}

/** Builds a signed GroupInfo of `state`'s epoch (optionally carrying the ratchet tree) signed by us. */
export function createGroupInfo(state: GroupState, options: { readonly ratchetTreeExtension?: boolean } = {}): GroupInfo {
  const extensions: Extension[] = [];
  if (options.ratchetTreeExtension ?? true) extensions.push({ extensionType: ExtensionType.ratchetTree, extensionData: encodeRatchetTree(state.tree) });
  return signGroupInfo(
    state.cs,
    { groupContext: state.groupContext, extensions, confirmationTag: state.confirmationTag, signer: state.privateKeys.leafIndex },
    state.signaturePrivateKey,
  );
}

/**
 * Creates a commit of the pending proposals plus `options` (RFC 9420 section 12.4): validates and
 * applies them, adds an UpdatePath when required or asked for, signs, derives the next epoch and
 * builds the Welcome. Throws MlsError if the proposal list is invalid; `state` is not changed.
 */
export function createCommit(state: GroupState, options: CommitOptions = {}): CreatedCommit {
  const cs: CipherSuite = state.cs;
  const me = state.privateKeys.leafIndex;
  const proposals = collectProposals(state, options);
  const resolved = resolveProposals(state, proposals, me);
  const applied = applyProposals(state, me, resolved, options.now !== undefined ? { now: options.now } : {});
  const psks = resolvePsks(state, applied.psks);
  const provisional = provisionalContext(state, applied.extensions);
  const withPath = applied.pathRequired || options.update === true;

  let tree = applied.tree;
  let commitSecret = zeroSecret(cs);
  let privateKeys: TreePrivateKeys;
  let created: ReturnType<typeof createUpdatePath> | null = null;
  if (withPath) {
    created = createUpdatePath(cs, {
      tree,
      senderLeaf: me,
      signaturePrivateKey: state.signaturePrivateKey,
      groupContext: provisional,
      excludedLeaves: applied.added.map((a) => a.leafIndex),
    });
    tree = created.tree;
    commitSecret = created.commitSecret;
    privateKeys = created.privateKeys;
  } else {
    privateKeys = pruneTreePrivateKeys(tree, state.privateKeys);
  }

  const commit: Commit = { proposals, path: created ? created.updatePath : null };
  const wireFormat = options.wireFormat ?? 'public_message';
  const content: FramedContent = {
    groupId: state.groupContext.groupId,
    epoch: state.groupContext.epoch,
    sender: { senderType: 'member', leafIndex: me },
    authenticatedData: options.authenticatedData ?? new Uint8Array(0),
    contentType: 'commit',
    commit,
  };
  // The confirmation tag covers the signature, so sign first and attach the tag after the key schedule.
  const signed = signFramedContent(cs, state.framing.groupContext, wireFormat, content, state.signaturePrivateKey);
  const next = deriveNextEpoch(state, provisional, tree, wireFormat, content, signed.auth.signature, commitSecret, psks);
  const confirmationTag = computeConfirmationTag(cs, next.secrets.confirmationKey, next.confirmedTranscriptHash);
  const framed = frameHandshake(state, attachConfirmationTag(signed, confirmationTag));

  handOverLeafKeyIndex(state.tree, tree, withPath ? [...applied.changedLeaves, me] : applied.changedLeaves);
  const newState = enterEpoch(cs, {
    groupContext: next.groupContext,
    tree,
    privateKeys,
    signaturePrivateKey: state.signaturePrivateKey,
    epochSecrets: next.secrets,
    confirmationTag,
    previousResumptionPsks: state.resumptionPsks,
    externalPsks: state.externalPsks,
    options: state.options,
  });

  let groupInfo: GroupInfo | null = null;
  let welcome: Uint8Array | null = null;
  if (applied.added.length > 0 || options.groupInfo === true) {
    groupInfo = createGroupInfo(newState, { ratchetTreeExtension: options.ratchetTreeExtension ?? true });
  }
  if (applied.added.length > 0 && groupInfo) {
    const w = createWelcomeForMembers(cs, {
      groupInfo,
      joinerSecret: next.secrets.joinerSecret,
      psks,
      recipients: applied.added.map((a) => ({
        keyPackageRef: makeKeyPackageRef(cs, encodeKeyPackage(a.keyPackage)),
        initKey: a.keyPackage.initKey,
        pathSecret: created ? selectJoinerPathSecret(created, me, a.leafIndex) : null,
      })),
    });
    welcome = encodeMlsMessage({ wireFormat: 'welcome', welcome: w });
  }
  return { state: newState, commit: framed.message, welcome, groupInfo, added: applied.added, retired: { ...retireEpoch(state), secretTree: framed.secretTree } };
}
