// RFC 9420 sections 12.2 and 12.3: validating a commit's proposal list and applying it to the tree.
// The committer and every receiver run the same code, so both sides reject the same lists.
// All edits go through one TreeDraft: the tree is copied once per commit and tree hashes are
// invalidated only along the changed paths.

import { encode, toHex } from '@weft/codec';
import type { CipherSuite } from '@weft/crypto';
import { MlsError } from '../errors.ts';
import { TreeDraft, type RatchetTree } from '../ratchetTree/ratchetTree.ts';
import { directPath, leafToNode, type LeafIndex } from '../treeMath.ts';
import { validateKeyPackageStandalone, verifyKeyPackageSignatures } from './keyPackage.ts';
import { checkLeafSupportsGroup, LeafChecker, readRequiredCapabilitiesExtension } from './leafNodeValidation.ts';
import type { GroupState } from './groupState.ts';
import type { ResolvedProposal } from './proposals.ts';
import type { Extension } from '../wire/extension.ts';
import type { KeyPackage } from '../wire/keyPackage.ts';
import type { LeafNode } from '../wire/leafNode.ts';
import type { PreSharedKeyID } from '../wire/proposal.ts';
import { writePreSharedKeyID } from '../wire/proposal.ts';
import type { PskInput } from '../psk.ts';

/** A member added by the commit and the leaf it got. */
export interface AddedMember {
  readonly leafIndex: LeafIndex;
  readonly keyPackage: KeyPackage;
}

/** The outcome of applying a valid proposal list. */
export interface AppliedProposals {
  readonly tree: RatchetTree;
  /** GroupContext extensions of the new epoch. */
  readonly extensions: readonly Extension[];
  readonly added: readonly AddedMember[];
  readonly removed: readonly LeafIndex[];
  readonly psks: readonly PreSharedKeyID[];
  /** True unless every proposal is an Add, PreSharedKey or ReInit (and there is at least one). */
  readonly pathRequired: boolean;
  /** Our new leaf private key when the commit applied our own Update proposal. */
  readonly ownUpdateKey: Uint8Array | null;
  /** Leaves whose LeafNode changed (updated, removed, added). */
  readonly changedLeaves: readonly number[];
  /** The leaf checker of this commit, for the committer's new path leaf. */
  readonly checker: LeafChecker;
}

/** Options of applyProposals. */
export interface ApplyOptions {
  /** Seconds since the Unix epoch for KeyPackage lifetimes; no check without it. */
  readonly now?: bigint;
}

const PATHLESS: ReadonlySet<string> = new Set(['add', 'psk', 'reinit']);

/**
 * Validates `proposals` for a commit by `committer` (section 12.2) and applies them in the order of
 * section 12.3 (GroupContextExtensions, Updates, Removes with truncation, Adds). Throws MlsError
 * with the rule that failed; `state` is not changed.
 */
export function applyProposals(state: GroupState, committer: LeafIndex, proposals: readonly ResolvedProposal[], options: ApplyOptions = {}): AppliedProposals {
  const cs = state.cs;
  const tree = state.tree;
  const me = state.privateKeys.leafIndex;
  let gce: readonly Extension[] | null = null;
  const updates: { leaf: LeafIndex; node: LeafNode; key: Uint8Array | null }[] = [];
  const removes: LeafIndex[] = [];
  const adds: KeyPackage[] = [];
  const psks: PreSharedKeyID[] = [];
  const touched = new Set<number>();
  const pskIds = new Set<string>();

  for (const rp of proposals) {
    const { proposal: p, sender } = rp;
    if (sender.senderType === 'new_member_commit') throw new MlsError('proposal_sender_invalid', 'a new_member_commit sender cannot propose');
    if (sender.senderType === 'new_member_proposal' && p.proposalType !== 'add') {
      throw new MlsError('proposal_sender_invalid', 'a new_member_proposal sender may only propose Add');
    }
    switch (p.proposalType) {
      case 'add':
        adds.push(p.keyPackage);
        break;
      case 'update': {
        if (sender.senderType !== 'member') throw new MlsError('proposal_sender_invalid', 'only a member can propose an Update');
        const leaf = sender.leafIndex as LeafIndex;
        if (leaf === committer) throw new MlsError('committer_update_included', 'a commit may not include an Update from its committer');
        if (!tree.leaves[leaf]) throw new MlsError('proposal_sender_invalid', `Update from blank leaf ${leaf}`);
        if (touched.has(leaf)) throw new MlsError('duplicate_leaf_change', `leaf ${leaf} is updated or removed twice`);
        touched.add(leaf);
        updates.push({ leaf, node: p.leafNode, key: leaf === me ? (rp.leafPrivateKey ?? null) : null });
        break;
      }
      case 'remove': {
        if (sender.senderType === 'new_member_proposal') throw new MlsError('proposal_sender_invalid', 'a joiner cannot propose a Remove');
        const leaf = p.removed as LeafIndex;
        if (leaf >= tree.leafCount || !tree.leaves[leaf]) throw new MlsError('remove_target_invalid', `Remove of leaf ${leaf}, which is not a member`);
        if (leaf === committer) throw new MlsError('committer_removed_self', 'a commit may not remove its committer');
        if (touched.has(leaf)) throw new MlsError('duplicate_leaf_change', `leaf ${leaf} is updated or removed twice`);
        touched.add(leaf);
        removes.push(leaf);
        break;
      }
      case 'psk': {
        const id = p.psk;
        if (id.pskNonce.length !== cs.Nh) throw new MlsError('psk_invalid', `psk_nonce has ${id.pskNonce.length} bytes, not Nh = ${cs.Nh}`);
        if (id.pskType === 'resumption' && id.usage !== 'application') {
          throw new MlsError('psk_invalid', `a resumption PSK with usage ${id.usage} is only allowed in a ReInit or branch Welcome`);
        }
        const key = toHex(encode((w) => writePreSharedKeyID(w, { ...id, pskNonce: new Uint8Array(0) })));
        if (pskIds.has(key)) throw new MlsError('duplicate_psk', 'the commit injects the same PSK twice');
        pskIds.add(key);
        psks.push(id);
        break;
      }
      case 'group_context_extensions':
        if (gce !== null) throw new MlsError('duplicate_group_context_extensions', 'the commit has more than one GroupContextExtensions proposal');
        gce = p.extensions;
        break;
      case 'reinit':
        throw new MlsError('proposal_unsupported', 'ReInit is not supported');
      case 'external_init':
        throw new MlsError('external_commit_unsupported', 'ExternalInit is only valid in an external commit, which Weft does not support');
    }
  }

  const extensions = gce ?? state.groupContext.extensions;
  const groupId = state.groupContext.groupId;
  if (gce !== null) {
    // Every member that stays must support the new extensions and required capabilities.
    const required = readRequiredCapabilitiesExtension(gce);
    const removedSet = new Set<number>(removes);
    tree.leaves.forEach((leaf, l) => {
      if (leaf && !removedSet.has(l) && !touched.has(l)) checkLeafSupportsGroup(leaf, gce as readonly Extension[], required, `member ${l}`);
    });
  }

  // No tree change (an empty commit, or only PSKs / extensions): skip the O(N) draft copy.
  const draft = updates.length + removes.length + adds.length > 0 ? new TreeDraft(tree) : null;
  const checker = new LeafChecker(cs, tree, draft ? draft.leaves : tree.leaves, { groupId, extensions, ...(options.now !== undefined ? { now: options.now } : {}) });
  const edited = draft ? editTree(cs, draft, checker, me, updates, removes, adds, options) : { ownUpdateKey: null, added: [] };
  const { ownUpdateKey, added } = edited;

  const pathRequired = proposals.length === 0 || proposals.some((p) => !PATHLESS.has(p.proposal.proposalType));
  const changedLeaves = [...updates.map((u) => u.leaf), ...removes, ...added.map((a) => a.leafIndex)];
  return { tree: draft ? draft.finish() : tree, extensions, added, removed: removes, psks, pathRequired, ownUpdateKey, changedLeaves, checker };
}

/** Applies Updates, Removes (then truncation) and Adds to `draft`, checking each new leaf (section 12.3 order). */
function editTree(
  cs: CipherSuite,
  draft: TreeDraft,
  checker: LeafChecker,
  me: LeafIndex,
  updates: readonly { leaf: LeafIndex; node: LeafNode; key: Uint8Array | null }[],
  removes: readonly LeafIndex[],
  adds: readonly KeyPackage[],
  options: ApplyOptions,
): { ownUpdateKey: Uint8Array | null; added: AddedMember[] } {
  let ownUpdateKey: Uint8Array | null = null;
  for (const u of updates) {
    checker.check(u.node, u.leaf, 'update', true);
    checker.noteReplaced(u.leaf);
    draft.setLeaf(u.leaf, u.node);
    checker.noteSet(u.leaf, u.node);
    draft.blankDirectPath(u.leaf);
    if (u.leaf === me) {
      if (u.key === null) throw new MlsError('missing_private_key', 'a commit applies an Update of our leaf that we did not send in this epoch');
      ownUpdateKey = u.key;
    }
  }
  for (const l of removes) {
    checker.noteReplaced(l);
    draft.setLeaf(l, null);
    draft.blankDirectPath(l);
  }
  if (removes.length > 0) draft.truncate();

  const added: AddedMember[] = [];
  const addKeys = new Set<string>();
  let cursor = 0;
  // Every signature of every added KeyPackage in one batch (threads on the node provider); the
  // per-KeyPackage checks below then run in the usual order with these verdicts.
  const verdicts = adds.length > 1 ? verifyKeyPackageSignatures(cs, adds) : [];
  for (const [i, kp] of adds.entries()) {
    const signatures = verdicts[i] ?? undefined;
    validateKeyPackageStandalone(cs, kp, { ...(options.now !== undefined ? { now: options.now } : {}), ...(signatures ? { signatures } : {}) });
    const sigHex = toHex(kp.leafNode.signatureKey);
    if (addKeys.has(sigHex)) throw new MlsError('duplicate_add', 'two Adds carry the same signature key');
    addKeys.add(sigHex);
    while (cursor < draft.leafCount && draft.leaves[cursor] !== null) cursor++;
    if (cursor >= draft.leafCount) draft.extend();
    const l = cursor as LeafIndex;
    // The signature was checked with the KeyPackage (a key_package leaf's TBS has no position).
    checker.check(kp.leafNode, l, 'key_package', false);
    draft.setLeaf(l, kp.leafNode);
    for (const p of directPath(leafToNode(l), draft.leafCount)) {
      const node = draft.getParent(p);
      if (node) draft.setParent(p, { ...node, unmergedLeaves: [...node.unmergedLeaves, l] });
    }
    checker.noteSet(l, kp.leafNode);
    added.push({ leafIndex: l, keyPackage: kp });
  }
  return { ownUpdateKey, added };
}

/** The PSK values for `ids`, from the state's external PSKs and recent resumption PSKs; throws psk_missing. */
export function resolvePsks(state: GroupState, ids: readonly PreSharedKeyID[]): PskInput[] {
  return ids.map((id) => {
    const psk = findPsk(state, id);
    if (psk === null) throw new MlsError('psk_missing', `the commit needs a ${id.pskType} PSK this member does not hold`);
    return { id, psk };
  });
}

/** The value of one PSK if this state holds it, else null. */
export function findPsk(state: GroupState, id: PreSharedKeyID): Uint8Array | null {
  if (id.pskType === 'external') return state.externalPsks.get(toHex(id.pskId)) ?? null;
  if (toHex(id.pskGroupId) !== toHex(state.groupContext.groupId)) return null;
  return state.resumptionPsks.find((r) => r.epoch === id.pskEpoch)?.psk ?? null;
}
