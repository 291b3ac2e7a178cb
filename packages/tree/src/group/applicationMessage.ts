// RFC 9420 section 6.3: application messages, always PrivateMessages keyed by the sender's
// application ratchet in the epoch's secret tree.

import { MlsError } from '../errors.ts';
import { protectApplicationData, unprotectPrivateMessage } from '../framing/privateMessage.ts';
import type { LeafIndex } from '../treeMath.ts';
import { decodeMlsMessage, encodePrivateMlsMessage, type MlsMessage } from '../wire/mlsMessage.ts';
import type { GroupState } from './groupState.ts';
import { lookupSignatureKey } from './proposals.ts';

/** Options of encryptApplicationMessage. */
export interface EncryptOptions {
  readonly authenticatedData?: Uint8Array;
  /** Zero bytes appended before encryption to hide the length (default 0). */
  readonly paddingLength?: number;
}

/** Encrypts application data from us; returns the MLSMessage bytes and the state with the used key erased. */
export function encryptApplicationMessage(state: GroupState, plaintext: Uint8Array, options: EncryptOptions = {}): { state: GroupState; message: Uint8Array } {
  const out = protectApplicationData(state.cs, state.framing, state.secretTree, state.privateKeys.leafIndex, plaintext, state.signaturePrivateKey, options);
  return { state: { ...state, secretTree: out.secretTree }, message: encodePrivateMlsMessage(out.message) };
}

/** A decrypted application message. */
export interface DecryptedMessage {
  readonly state: GroupState;
  readonly plaintext: Uint8Array;
  readonly sender: LeafIndex;
  readonly authenticatedData: Uint8Array;
  readonly generation: number;
}

/**
 * Decrypts and verifies an application message of the state's epoch. Throws MlsError (wrong_group,
 * wrong_epoch, sender_data_decrypt_failed, content_decrypt_failed, generation_*, signature_invalid,
 * unexpected_message_type) or CodecError; the input state is unchanged.
 */
export function decryptApplicationMessage(state: GroupState, message: Uint8Array | MlsMessage): DecryptedMessage {
  const m = message instanceof Uint8Array ? decodeMlsMessage(message) : message;
  if (m.wireFormat !== 'private_message') throw new MlsError('unexpected_message_type', `expected a PrivateMessage, got ${m.wireFormat}`);
  if (m.privateMessage.contentType !== 'application') throw new MlsError('unexpected_message_type', 'the PrivateMessage is not an application message');
  const out = unprotectPrivateMessage(state.cs, state.framing, state.secretTree, m.privateMessage, lookupSignatureKey(state));
  const content = out.authenticatedContent.content;
  if (content.contentType !== 'application' || content.sender.senderType !== 'member') {
    throw new MlsError('unexpected_message_type', 'the PrivateMessage is not an application message');
  }
  return {
    state: { ...state, secretTree: out.secretTree },
    plaintext: content.applicationData,
    sender: content.sender.leafIndex as LeafIndex,
    authenticatedData: content.authenticatedData,
    generation: out.generation,
  };
}
