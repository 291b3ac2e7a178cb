// RFC 9420 section 6.3: PrivateMessage. The signed content is encrypted with a key and nonce from
// the sender's secret-tree ratchet (handshake for proposals and commits, application for
// application data); the nonce is XORed with a random reuse_guard. Who sent it (leaf index,
// generation, reuse_guard) travels in the separately encrypted sender data.

import type { CipherSuite } from '@weft/crypto';
import { MlsError } from '../errors.ts';
import { consumeKey, consumeNextKey, type RatchetType, type SecretTree } from '../secretTree.ts';
import { leafIndex, type LeafIndex } from '../treeMath.ts';
import type { ContentType } from '../wire/enums.ts';
import type { AuthenticatedContent, FramedContent, MessageContent } from '../wire/framedContent.ts';
import { decodePrivateMessageContent, encodePrivateContentAAD, encodePrivateMessageContent, type PrivateMessage } from '../wire/privateMessage.ts';
import { encodeFramedContentTbs, signFramedContent, verifyFramedContentTbsSignature } from './contentAuth.ts';
import type { FramingContext, SignatureKeyLookup } from './framingContext.ts';
import { checkGroupAndEpoch } from './publicMessage.ts';
import { decryptSenderData, encryptSenderData } from './senderData.ts';

/** Options of protectPrivateMessage. */
export interface PrivateMessageOptions {
  /** Number of zero bytes of padding appended to the content before encryption (default 0). */
  readonly paddingLength?: number;
}

/** A protected message and the sender's secret tree with the used key removed. */
export interface ProtectedPrivateMessage {
  readonly message: PrivateMessage;
  readonly secretTree: SecretTree;
  /** Generation of the sender's ratchet that encrypted the message. */
  readonly generation: number;
}

/** A verified, decrypted PrivateMessage and the receiver's secret tree with the used key removed. */
export interface UnprotectedPrivateMessage {
  readonly authenticatedContent: AuthenticatedContent;
  readonly secretTree: SecretTree;
  readonly generation: number;
}

/** The ratchet that keys a content type: application data uses the application ratchet, the rest the handshake one. */
export function ratchetTypeOf(contentType: ContentType): RatchetType {
  return contentType === 'application' ? 'application' : 'handshake';
}

function bodyOf(content: MessageContent): MessageContent {
  switch (content.contentType) {
    case 'application':
      return { contentType: 'application', applicationData: content.applicationData };
    case 'proposal':
      return { contentType: 'proposal', proposal: content.proposal };
    case 'commit':
      return { contentType: 'commit', commit: content.commit };
  }
}

/** nonce XOR reuse_guard over its first four bytes (RFC 9420 section 6.3.1). */
function guardNonce(nonce: Uint8Array, reuseGuard: Uint8Array): Uint8Array {
  const out = nonce.slice();
  for (let i = 0; i < 4; i++) out[i] = (out[i] as number) ^ (reuseGuard[i] as number);
  return out;
}

/**
 * Encrypts signed content from a member as a PrivateMessage with the next key of the sender's
 * ratchet. Returns the message and the new secret tree; the caller's tree is untouched.
 */
export function protectPrivateMessage(
  cs: CipherSuite,
  ctx: FramingContext,
  secretTree: SecretTree,
  authenticated: AuthenticatedContent,
  options: PrivateMessageOptions = {},
): ProtectedPrivateMessage {
  const { content, auth } = authenticated;
  if (authenticated.wireFormat !== 'private_message') throw new MlsError('wrong_wire_format', 'the content was signed for another wire format');
  if (content.sender.senderType !== 'member') throw new MlsError('unknown_sender', 'only members can send a PrivateMessage');
  checkGroupAndEpoch(ctx, content.groupId, content.epoch);
  if (content.contentType === 'commit' && auth.confirmationTag === null) throw new MlsError('confirmation_tag_missing', 'a commit needs its confirmation_tag');
  const leaf = leafIndex(content.sender.leafIndex);
  const consumed = consumeNextKey(cs, secretTree, leaf, ratchetTypeOf(content.contentType));
  const reuseGuard = cs.randomBytes(4);
  const plaintext = encodePrivateMessageContent({ ...bodyOf(content), auth, paddingLength: options.paddingLength ?? 0 });
  const aad = encodePrivateContentAAD(content.groupId, content.epoch, content.contentType, content.authenticatedData);
  const ciphertext = cs.aeadSeal(consumed.key.key, guardNonce(consumed.key.nonce, reuseGuard), aad, plaintext);
  const senderData = { leafIndex: leaf, generation: consumed.key.generation, reuseGuard };
  const encryptedSenderData = encryptSenderData(cs, ctx.senderDataSecret, senderData, ciphertext, content.groupId, content.epoch, content.contentType);
  return {
    message: {
      groupId: content.groupId,
      epoch: content.epoch,
      contentType: content.contentType,
      authenticatedData: content.authenticatedData,
      encryptedSenderData,
      ciphertext,
    },
    secretTree: consumed.tree,
    generation: consumed.key.generation,
  };
}

/** Signs and encrypts application data from leaf `sender` (the common case of protectPrivateMessage). */
export function protectApplicationData(
  cs: CipherSuite,
  ctx: FramingContext,
  secretTree: SecretTree,
  sender: LeafIndex,
  applicationData: Uint8Array,
  signaturePrivateKey: Uint8Array,
  options: PrivateMessageOptions & { readonly authenticatedData?: Uint8Array } = {},
): ProtectedPrivateMessage {
  const content: FramedContent = {
    groupId: ctx.groupId,
    epoch: ctx.epoch,
    sender: { senderType: 'member', leafIndex: sender },
    authenticatedData: options.authenticatedData ?? new Uint8Array(0),
    contentType: 'application',
    applicationData,
  };
  return protectPrivateMessage(cs, ctx, secretTree, signFramedContent(cs, ctx.groupContext, 'private_message', content, signaturePrivateKey), options);
}

/**
 * Decrypts and verifies a received PrivateMessage. On success returns the AuthenticatedContent and
 * the new secret tree; on any failure throws (MlsError wrong_group, wrong_epoch,
 * sender_data_decrypt_failed, unknown_sender, unknown_sender_leaf, generation_*,
 * content_decrypt_failed, signature_invalid, or CodecError) and the caller keeps its tree.
 */
export function unprotectPrivateMessage(
  cs: CipherSuite,
  ctx: FramingContext,
  secretTree: SecretTree,
  message: PrivateMessage,
  signatureKeyOf: SignatureKeyLookup,
): UnprotectedPrivateMessage {
  checkGroupAndEpoch(ctx, message.groupId, message.epoch);
  const senderData = decryptSenderData(cs, ctx.senderDataSecret, message);
  if (senderData.leafIndex >= secretTree.leafCount) {
    throw new MlsError('unknown_sender_leaf', `sender leaf ${senderData.leafIndex} is outside a group of ${secretTree.leafCount} leaves`);
  }
  const consumed = consumeKey(cs, secretTree, leafIndex(senderData.leafIndex), ratchetTypeOf(message.contentType), senderData.generation);
  const aad = encodePrivateContentAAD(message.groupId, message.epoch, message.contentType, message.authenticatedData);
  let plaintext: Uint8Array;
  try {
    plaintext = cs.aeadOpen(consumed.key.key, guardNonce(consumed.key.nonce, senderData.reuseGuard), aad, message.ciphertext);
  } catch {
    throw new MlsError('content_decrypt_failed', 'the PrivateMessage content does not decrypt');
  }
  const pmc = decodePrivateMessageContent(plaintext, message.contentType);
  const header = {
    groupId: message.groupId,
    epoch: message.epoch,
    sender: { senderType: 'member', leafIndex: senderData.leafIndex } as const,
    authenticatedData: message.authenticatedData,
  };
  const content: FramedContent = { ...header, ...bodyOf(pmc) };
  const key = signatureKeyOf(content);
  if (key === null) throw new MlsError('unknown_sender', `no member at leaf ${senderData.leafIndex}`);
  const tbs = encodeFramedContentTbs('private_message', content, ctx.groupContext);
  verifyFramedContentTbsSignature(cs, tbs, pmc.auth.signature, key);
  return {
    authenticatedContent: { wireFormat: 'private_message', content, auth: pmc.auth },
    secretTree: consumed.tree,
    generation: senderData.generation,
  };
}
