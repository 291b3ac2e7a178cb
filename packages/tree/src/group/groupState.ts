// A member's view of one epoch of an MLS group (RFC 9420 section 8 and following) as an immutable
// value. Every operation returns a new GroupState and leaves its input untouched, so the fork layer
// can keep several epochs (and several branches of one epoch) side by side and decide what to erase.

import { toHex } from '@weft/codec';
import type { CipherSuite } from '@weft/crypto';
import { createFramingContext, type FramingContext } from '../framing/framingContext.ts';
import { exportSecret, type EpochSecrets } from '../keySchedule.ts';
import type { RatchetTree } from '../ratchetTree/ratchetTree.ts';
import { createSecretTree, defaultSecretTreeOptions, type SecretTree, type SecretTreeOptions } from '../secretTree.ts';
import type { LeafIndex } from '../treeMath.ts';
import type { TreePrivateKeys } from '../treeKem/treePrivateKeys.ts';
import { computeInterimTranscriptHash } from '../transcriptHash.ts';
import type { Sender } from '../wire/framedContent.ts';
import type { GroupContext } from '../wire/groupContext.ts';
import type { Proposal } from '../wire/proposal.ts';

/** A proposal received (or sent) in the current epoch, kept until a commit references it. */
export interface PendingProposal {
  /** ProposalRef (RFC 9420 section 5.2). */
  readonly ref: Uint8Array;
  readonly proposal: Proposal;
  readonly sender: Sender;
  /** For our own Update: the new leaf's HPKE private key, installed if a commit applies it. */
  readonly leafPrivateKey?: Uint8Array;
}

/** resumption_psk of a past epoch of this group (RFC 9420 section 8.6). */
export interface ResumptionPsk {
  readonly epoch: bigint;
  readonly psk: Uint8Array;
}

/** Per-group settings that stay fixed across epochs. */
export interface GroupOptions {
  /** How many recent epochs' resumption PSKs to keep (default 8). */
  readonly maxResumptionPsks: number;
  /** Out-of-order bounds of each epoch's secret tree. */
  readonly secretTree: SecretTreeOptions;
}

/** Default GroupOptions. */
export const defaultGroupOptions: GroupOptions = { maxResumptionPsks: 8, secretTree: defaultSecretTreeOptions };

/** One member's state of one epoch. Treat as immutable; build new ones only through this module's functions. */
export interface GroupState {
  readonly cs: CipherSuite;
  readonly groupContext: GroupContext;
  /** Per-epoch framing inputs, including the serialized GroupContext (encoded once per epoch). */
  readonly framing: FramingContext;
  /** The public ratchet tree (tree hashes cached inside, copy-on-write along changed paths). */
  readonly tree: RatchetTree;
  /** Our leaf index and the HPKE private keys we hold (leaf and direct-path nodes). */
  readonly privateKeys: TreePrivateKeys;
  readonly signaturePrivateKey: Uint8Array;
  readonly epochSecrets: EpochSecrets;
  /** confirmation_tag of the commit that created this epoch (or of epoch 0). */
  readonly confirmationTag: Uint8Array;
  readonly interimTranscriptHash: Uint8Array;
  readonly secretTree: SecretTree;
  /** Proposals of this epoch by hex ProposalRef. */
  readonly pendingProposals: ReadonlyMap<string, PendingProposal>;
  /** Resumption PSKs of this and recent epochs, newest last (bounded by options.maxResumptionPsks). */
  readonly resumptionPsks: readonly ResumptionPsk[];
  /** External PSK values this member holds, by hex psk_id. */
  readonly externalPsks: ReadonlyMap<string, Uint8Array>;
  readonly options: GroupOptions;
}

/**
 * What an operation took out of a state when it moved to a new epoch: the fork layer decides
 * whether to keep these (to read late messages, to process a competing branch) or erase them.
 */
export interface RetiredEpoch {
  readonly epoch: bigint;
  readonly epochSecrets: EpochSecrets;
  readonly secretTree: SecretTree;
  readonly privateKeys: TreePrivateKeys;
}

/** The parts a new epoch's state is built from. */
export interface EpochParts {
  readonly groupContext: GroupContext;
  readonly tree: RatchetTree;
  readonly privateKeys: TreePrivateKeys;
  readonly signaturePrivateKey: Uint8Array;
  readonly epochSecrets: EpochSecrets;
  readonly confirmationTag: Uint8Array;
  /** Resumption PSKs of earlier epochs (this epoch's is appended). */
  readonly previousResumptionPsks: readonly ResumptionPsk[];
  readonly externalPsks: ReadonlyMap<string, Uint8Array>;
  readonly options: GroupOptions;
}

/** Builds the state of a new epoch: framing context, secret tree, interim transcript hash, no pending proposals. */
export function enterEpoch(cs: CipherSuite, parts: EpochParts): GroupState {
  const gc = parts.groupContext;
  const resumption = [...parts.previousResumptionPsks, { epoch: gc.epoch, psk: parts.epochSecrets.resumptionPsk }];
  return {
    cs,
    groupContext: gc,
    framing: createFramingContext(gc, parts.epochSecrets),
    tree: parts.tree,
    privateKeys: parts.privateKeys,
    signaturePrivateKey: parts.signaturePrivateKey,
    epochSecrets: parts.epochSecrets,
    confirmationTag: parts.confirmationTag,
    interimTranscriptHash: computeInterimTranscriptHash(cs, gc.confirmedTranscriptHash, parts.confirmationTag),
    secretTree: createSecretTree(parts.epochSecrets.encryptionSecret, parts.tree.leafCount, parts.options.secretTree),
    pendingProposals: new Map(),
    resumptionPsks: resumption.slice(Math.max(0, resumption.length - parts.options.maxResumptionPsks)),
    externalPsks: parts.externalPsks,
    options: parts.options,
  };
}

/** What the state held for its epoch, as handed to the fork layer when the state moves on. */
export function retireEpoch(state: GroupState): RetiredEpoch {
  return { epoch: state.groupContext.epoch, epochSecrets: state.epochSecrets, secretTree: state.secretTree, privateKeys: state.privateKeys };
}

/** Our leaf index in the group. */
export function getOwnLeafIndex(state: GroupState): LeafIndex {
  return state.privateKeys.leafIndex;
}

/** The epoch number of the state. */
export function getEpoch(state: GroupState): bigint {
  return state.groupContext.epoch;
}

/** The epoch_authenticator (RFC 9420 section 8.7): equal for every member of the same epoch. */
export function getEpochAuthenticator(state: GroupState): Uint8Array {
  return state.epochSecrets.epochAuthenticator;
}

/** MLS-Exporter(label, context, length) of the state's epoch (RFC 9420 section 8.5). */
export function exportGroupSecret(state: GroupState, label: string, context: Uint8Array, length: number): Uint8Array {
  return exportSecret(state.cs, state.epochSecrets.exporterSecret, label, context, length);
}

/** The state holding one more external PSK (RFC 9420 section 8.4) for later commits and Welcomes. */
export function addExternalPsk(state: GroupState, pskId: Uint8Array, psk: Uint8Array): GroupState {
  const externalPsks = new Map(state.externalPsks);
  externalPsks.set(toHex(pskId), psk);
  return { ...state, externalPsks };
}
