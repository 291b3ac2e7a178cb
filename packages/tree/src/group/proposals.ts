// RFC 9420 section 12.1: proposals. Creating them (framed and signed, kept as pending by their
// ProposalRef so our own commit or someone else's can reference them), receiving them from other
// members, external senders or would-be joiners, and resolving a commit's ProposalOrRef list.

import { CodecError, toHex } from '@weft/codec';
import type { CipherSuite } from '@weft/crypto';
import { MlsError } from '../errors.ts';
import { signFramedContent } from '../framing/contentAuth.ts';
import type { SignatureKeyLookup } from '../framing/framingContext.ts';
import { protectPrivateMessage, unprotectPrivateMessage } from '../framing/privateMessage.ts';
import { protectPublicMessage, unprotectPublicMessage } from '../framing/publicMessage.ts';
import { signLeafNode } from '../ratchetTree/leafNodeSignature.ts';
import { makeProposalRef } from '../references.ts';
import type { SecretTree } from '../secretTree.ts';
import type { LeafIndex } from '../treeMath.ts';
import { decodeExternalSenders } from '../wire/extensionContent.ts';
import { ExtensionType, type Extension } from '../wire/extension.ts';
import { encodeAuthenticatedContent, type AuthenticatedContent, type FramedContent, type Sender } from '../wire/framedContent.ts';
import type { KeyPackage } from '../wire/keyPackage.ts';
import type { LeafNode, LeafNodeContent } from '../wire/leafNode.ts';
import { decodeMlsMessage, encodeMlsMessage, type MlsMessage } from '../wire/mlsMessage.ts';
import type { PreSharedKeyID, Proposal, ProposalOrRef } from '../wire/proposal.ts';
import type { GroupState, PendingProposal } from './groupState.ts';

/** Wire format for handshake messages we send. */
export type HandshakeWireFormat = 'public_message' | 'private_message';

/** A proposal we sent: the new state (holding it as pending), the MLSMessage bytes and its ProposalRef. */
export interface CreatedProposal {
  readonly state: GroupState;
  readonly message: Uint8Array;
  readonly ref: Uint8Array;
}

/** A commit's proposal after resolving references: the proposal, who proposed it, and its ref (null when by value). */
export interface ResolvedProposal {
  readonly proposal: Proposal;
  readonly sender: Sender;
  readonly ref: Uint8Array | null;
  readonly leafPrivateKey?: Uint8Array;
}

/** Signature key of a handshake sender in `state`: a member's leaf, an external sender, or a joiner's own KeyPackage. */
export function lookupSignatureKey(state: GroupState): SignatureKeyLookup {
  return (content: FramedContent): Uint8Array | null => {
    const s = content.sender;
    if (s.senderType === 'member') return state.tree.leaves[s.leafIndex]?.signatureKey ?? null;
    if (s.senderType === 'external') {
      const ext = state.groupContext.extensions.find((e) => e.extensionType === ExtensionType.externalSenders);
      if (!ext) return null;
      try {
        return decodeExternalSenders(ext.extensionData)[s.senderIndex]?.signatureKey ?? null;
      } catch (err) {
        if (err instanceof CodecError) return null;
        throw err;
      }
    }
    if (s.senderType === 'new_member_proposal' && content.contentType === 'proposal' && content.proposal.proposalType === 'add') {
      return content.proposal.keyPackage.leafNode.signatureKey;
    }
    return null;
  };
}

/** A received handshake message, verified, and the secret tree after it (changed for a PrivateMessage). */
export interface UnprotectedHandshake {
  readonly authenticated: AuthenticatedContent;
  readonly secretTree: SecretTree;
}

/** Decodes an MLSMessage, throwing unexpected_message_type for anything but a Public or PrivateMessage. */
export function decodeHandshakeMessage(message: Uint8Array | MlsMessage): MlsMessage {
  const m = message instanceof Uint8Array ? decodeMlsMessage(message) : message;
  if (m.wireFormat !== 'public_message' && m.wireFormat !== 'private_message') {
    throw new MlsError('unexpected_message_type', `expected a PublicMessage or PrivateMessage, got ${m.wireFormat}`);
  }
  return m;
}

/** Verifies (and for a PrivateMessage decrypts) a handshake message against the state's epoch. */
export function unprotectHandshake(state: GroupState, message: MlsMessage): UnprotectedHandshake {
  const cs = state.cs;
  if (message.wireFormat === 'public_message') {
    return { authenticated: unprotectPublicMessage(cs, state.framing, message.publicMessage, lookupSignatureKey(state)), secretTree: state.secretTree };
  }
  if (message.wireFormat === 'private_message') {
    if (message.privateMessage.contentType === 'application') throw new MlsError('unexpected_message_type', 'an application message is not a handshake message');
    const out = unprotectPrivateMessage(cs, state.framing, state.secretTree, message.privateMessage, lookupSignatureKey(state));
    return { authenticated: out.authenticatedContent, secretTree: out.secretTree };
  }
  throw new MlsError('unexpected_message_type', `expected a PublicMessage or PrivateMessage, got ${message.wireFormat}`);
}

/** Frames signed content from us as an MLSMessage; returns the bytes and the secret tree after it. */
export function frameHandshake(state: GroupState, authenticated: AuthenticatedContent): { message: Uint8Array; secretTree: SecretTree } {
  if (authenticated.wireFormat === 'public_message') {
    const pm = protectPublicMessage(state.cs, state.framing, authenticated);
    return { message: encodeMlsMessage({ wireFormat: 'public_message', publicMessage: pm }), secretTree: state.secretTree };
  }
  const out = protectPrivateMessage(state.cs, state.framing, state.secretTree, authenticated);
  return { message: encodeMlsMessage({ wireFormat: 'private_message', privateMessage: out.message }), secretTree: out.secretTree };
}

/** Signs, frames and records one proposal of ours as pending. */
export function createProposal(
  state: GroupState,
  proposal: Proposal,
  options: { readonly wireFormat?: HandshakeWireFormat; readonly authenticatedData?: Uint8Array; readonly leafPrivateKey?: Uint8Array } = {},
): CreatedProposal {
  const wireFormat = options.wireFormat ?? 'public_message';
  const sender: Sender = { senderType: 'member', leafIndex: state.privateKeys.leafIndex };
  const content: FramedContent = {
    groupId: state.groupContext.groupId,
    epoch: state.groupContext.epoch,
    sender,
    authenticatedData: options.authenticatedData ?? new Uint8Array(0),
    contentType: 'proposal',
    proposal,
  };
  const authenticated = signFramedContent(state.cs, state.framing.groupContext, wireFormat, content, state.signaturePrivateKey);
  const ref = makeProposalRef(state.cs, encodeAuthenticatedContent(authenticated));
  const framed = frameHandshake(state, authenticated);
  const pending: PendingProposal = options.leafPrivateKey ? { ref, proposal, sender, leafPrivateKey: options.leafPrivateKey } : { ref, proposal, sender };
  const pendingProposals = new Map(state.pendingProposals);
  pendingProposals.set(toHex(ref), pending);
  return { state: { ...state, pendingProposals, secretTree: framed.secretTree }, message: framed.message, ref };
}

/** Proposes adding the member of `keyPackage`. */
export function proposeAdd(state: GroupState, keyPackage: KeyPackage, options?: { readonly wireFormat?: HandshakeWireFormat }): CreatedProposal {
  return createProposal(state, { proposalType: 'add', keyPackage }, options);
}

/** Proposes removing the member at leaf `removed`. */
export function proposeRemove(state: GroupState, removed: LeafIndex, options?: { readonly wireFormat?: HandshakeWireFormat }): CreatedProposal {
  return createProposal(state, { proposalType: 'remove', removed }, options);
}

/** Proposes a fresh leaf for us (new HPKE key; optionally new credential, capabilities or extensions). */
export function proposeUpdate(
  state: GroupState,
  options: { readonly wireFormat?: HandshakeWireFormat; readonly leafChanges?: Partial<Pick<LeafNode, 'credential' | 'capabilities' | 'extensions'>> } = {},
): CreatedProposal {
  const me = state.privateKeys.leafIndex;
  const old = state.tree.leaves[me];
  if (!old) throw new MlsError('leaf_blank', `our leaf ${me} is blank`);
  const kp = state.cs.kemDeriveKeyPair(state.cs.randomBytes(state.cs.Nh));
  const content: LeafNodeContent = {
    encryptionKey: kp.publicKey,
    signatureKey: old.signatureKey,
    credential: options.leafChanges?.credential ?? old.credential,
    capabilities: options.leafChanges?.capabilities ?? old.capabilities,
    leafNodeSource: { type: 'update' },
    extensions: options.leafChanges?.extensions ?? old.extensions,
  };
  const leafNode = signLeafNode(state.cs, content, state.signaturePrivateKey, state.groupContext.groupId, me);
  const opts = options.wireFormat ? { wireFormat: options.wireFormat, leafPrivateKey: kp.privateKey } : { leafPrivateKey: kp.privateKey };
  return createProposal(state, { proposalType: 'update', leafNode }, opts);
}

/** A fresh external PreSharedKeyID (random psk_nonce of Nh bytes, RFC 9420 section 8.4). */
export function createExternalPskId(cs: CipherSuite, pskId: Uint8Array): PreSharedKeyID {
  return { pskType: 'external', pskId, pskNonce: cs.randomBytes(cs.Nh) };
}

/** Proposes injecting the PSK `psk` (an external one we hold, or a resumption PSK of a recent epoch). */
export function proposePsk(state: GroupState, psk: PreSharedKeyID, options?: { readonly wireFormat?: HandshakeWireFormat }): CreatedProposal {
  return createProposal(state, { proposalType: 'psk', psk }, options);
}

/** Proposes replacing the GroupContext extensions. */
export function proposeGroupContextExtensions(state: GroupState, extensions: readonly Extension[], options?: { readonly wireFormat?: HandshakeWireFormat }): CreatedProposal {
  return createProposal(state, { proposalType: 'group_context_extensions', extensions }, options);
}

/**
 * Receives a proposal from a member, an external sender or a would-be joiner: verifies it against
 * the current epoch and stores it as pending by its ProposalRef. Throws MlsError (wrong_group,
 * wrong_epoch, membership_tag_invalid, signature_invalid, unknown_sender, not_a_proposal,
 * proposal_sender_invalid ...) or CodecError; the input state is not changed.
 */
export function processProposal(state: GroupState, message: Uint8Array | MlsMessage): { state: GroupState; ref: Uint8Array; proposal: Proposal; sender: Sender } {
  const m = decodeHandshakeMessage(message);
  const { authenticated, secretTree } = unprotectHandshake(state, m);
  const content = authenticated.content;
  if (content.contentType !== 'proposal') throw new MlsError('not_a_proposal', `expected a proposal, got ${content.contentType}`);
  const sender = content.sender;
  if (sender.senderType === 'new_member_commit') throw new MlsError('proposal_sender_invalid', 'a new_member_commit sender cannot send a proposal');
  if (sender.senderType === 'new_member_proposal' && content.proposal.proposalType !== 'add') {
    throw new MlsError('proposal_sender_invalid', 'a new_member_proposal sender may only propose Add');
  }
  const ref = makeProposalRef(state.cs, encodeAuthenticatedContent(authenticated));
  if (sender.senderType === 'member' && sender.leafIndex === state.privateKeys.leafIndex) {
    // Our own proposal coming back (e.g. replayed from the DAG): keep the pending entry, which holds our private key.
    if (state.pendingProposals.has(toHex(ref))) return { state, ref, proposal: content.proposal, sender };
    throw new MlsError('proposal_sender_invalid', 'a proposal from our own leaf that we did not send in this epoch');
  }
  const pendingProposals = new Map(state.pendingProposals);
  pendingProposals.set(toHex(ref), { ref, proposal: content.proposal, sender });
  return { state: { ...state, pendingProposals, secretTree }, ref, proposal: content.proposal, sender };
}

/** Resolves a commit's ProposalOrRef list against the pending proposals; throws proposal_ref_unknown for a missing ref. */
export function resolveProposals(state: GroupState, proposals: readonly ProposalOrRef[], committer: LeafIndex): ResolvedProposal[] {
  return proposals.map((p) => {
    if (p.type === 'proposal') return { proposal: p.proposal, sender: { senderType: 'member', leafIndex: committer }, ref: null };
    const pending = state.pendingProposals.get(toHex(p.reference));
    if (!pending) throw new MlsError('proposal_ref_unknown', `the commit references an unknown proposal ${toHex(p.reference)}`);
    return pending.leafPrivateKey
      ? { proposal: pending.proposal, sender: pending.sender, ref: pending.ref, leafPrivateKey: pending.leafPrivateKey }
      : { proposal: pending.proposal, sender: pending.sender, ref: pending.ref };
  });
}
