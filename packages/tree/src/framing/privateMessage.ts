// RFC 9420 section 6.3: PrivateMessage. The signed content is encrypted with a key and nonce from
// the sender's secret-tree ratchet (handshake for proposals and commits, application for
// application data); the nonce is XORed with a random reuse_guard. Who sent it (leaf index,
// generation, reuse_guard) travels in the separately encrypted sender data.

import type { CipherSuite } from '@weft/crypto';
import { encodeOpaque } from '@weft/codec';
import { MlsError } from '../errors.ts';
import { consumeKey, consumeNextKey, type RatchetType, type SecretTree } from '../secretTree.ts';
import { leafIndex, type LeafIndex } from '../treeMath.ts';
import type { ContentType } from '../wire/enums.ts';
import type { AuthenticatedContent, FramedContent, MessageContent } from '../wire/framedContent.ts';
import {
  assemblePrivateMessageContent,
  decodePrivateMessageContentWithBody,
  encodePrivateContentAADAfter,
  encodePrivateMessageContent,
} from '../wire/privateMessage.ts';
import type { PrivateMessage } from '../wire/privateMessage.ts';
import { memberFramedContentTbsParts, signFramedContentTbsParts, verifyFramedContentTbsPartsSignature } from './contentAuth.ts';
import type { FramingContext, SignatureKeyLookup } from './framingContext.ts';
import { checkGroupAndEpoch } from './publicMessage.ts';
import { decryptSenderDataIn, encryptSenderDataIn } from './senderData.ts';

const EMPTY = new Uint8Array(0);

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

/** The FramedContent a received PrivateMessage carries: its header fields, the sender leaf and the decrypted body. */
function framedContentOf(message: PrivateMessage, leaf: number, pmc: MessageContent): FramedContent {
  const { groupId, epoch, authenticatedData } = message;
  const sender = { senderType: 'member', leafIndex: leaf } as const;
  // Built field by field rather than spread: this runs once per received message.
  switch (pmc.contentType) {
    case 'application':
      return { groupId, epoch, sender, authenticatedData, contentType: 'application', applicationData: pmc.applicationData };
    case 'proposal':
      return { groupId, epoch, sender, authenticatedData, contentType: 'proposal', proposal: pmc.proposal };
    case 'commit':
      return { groupId, epoch, sender, authenticatedData, contentType: 'commit', commit: pmc.commit };
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
  const plaintext = encodePrivateMessageContent({ ...bodyOf(content), auth, paddingLength: options.paddingLength ?? 0 });
  return sealPrivateContent(cs, ctx, secretTree, leafIndex(content.sender.leafIndex), content.contentType, content.authenticatedData, plaintext);
}

/**
 * Encrypts an encoded PrivateMessageContent from `leaf` with the next key of its ratchet and
 * encrypts the sender data; group and epoch are the context's (the callers made sure of it).
 */
function sealPrivateContent(
  cs: CipherSuite,
  ctx: FramingContext,
  secretTree: SecretTree,
  leaf: LeafIndex,
  contentType: ContentType,
  authenticatedData: Uint8Array,
  plaintext: Uint8Array,
): ProtectedPrivateMessage {
  const consumed = consumeNextKey(cs, secretTree, leaf, ratchetTypeOf(contentType));
  const reuseGuard = cs.randomBytes(4);
  const aad = encodePrivateContentAADAfter(ctx.groupAndEpoch, contentType, authenticatedData);
  const ciphertext = cs.aeadSeal(consumed.key.key, guardNonce(consumed.key.nonce, reuseGuard), aad, plaintext);
  const senderData = { leafIndex: leaf, generation: consumed.key.generation, reuseGuard };
  const encryptedSenderData = encryptSenderDataIn(cs, ctx, senderData, ciphertext, contentType);
  return {
    message: { groupId: ctx.groupId, epoch: ctx.epoch, contentType, authenticatedData, encryptedSenderData, ciphertext },
    secretTree: consumed.tree,
    generation: consumed.key.generation,
  };
}

/**
 * Signs and encrypts application data from leaf `sender` (the common case of protectPrivateMessage).
 * The body is encoded once: the signature covers it inside a FramedContentTBS made of the epoch's
 * cached pieces, and the same bytes open the encrypted PrivateMessageContent.
 */
export function protectApplicationData(
  cs: CipherSuite,
  ctx: FramingContext,
  secretTree: SecretTree,
  sender: LeafIndex,
  applicationData: Uint8Array,
  signaturePrivateKey: Uint8Array,
  options: PrivateMessageOptions & { readonly authenticatedData?: Uint8Array } = {},
): ProtectedPrivateMessage {
  const leaf = leafIndex(sender);
  const authenticatedData = options.authenticatedData ?? EMPTY;
  const body = encodeOpaque(applicationData);
  const tbs = memberFramedContentTbsParts('private_message', ctx, leaf, authenticatedData, 'application', body);
  const signature = signFramedContentTbsParts(cs, tbs, signaturePrivateKey);
  const plaintext = assemblePrivateMessageContent(body, { signature, confirmationTag: null }, 'application', options.paddingLength ?? 0);
  return sealPrivateContent(cs, ctx, secretTree, leaf, 'application', authenticatedData, plaintext);
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
  const senderData = decryptSenderDataIn(cs, ctx, message);
  if (senderData.leafIndex >= secretTree.leafCount) {
    throw new MlsError('unknown_sender_leaf', `sender leaf ${senderData.leafIndex} is outside a group of ${secretTree.leafCount} leaves`);
  }
  const consumed = consumeKey(cs, secretTree, leafIndex(senderData.leafIndex), ratchetTypeOf(message.contentType), senderData.generation);
  const aad = encodePrivateContentAADAfter(ctx.groupAndEpoch, message.contentType, message.authenticatedData);
  let plaintext: Uint8Array;
  try {
    plaintext = cs.aeadOpen(consumed.key.key, guardNonce(consumed.key.nonce, senderData.reuseGuard), aad, message.ciphertext);
  } catch {
    throw new MlsError('content_decrypt_failed', 'the PrivateMessage content does not decrypt');
  }
  const { content: pmc, body } = decodePrivateMessageContentWithBody(plaintext, message.contentType);
  const content = framedContentOf(message, senderData.leafIndex, pmc);
  const key = signatureKeyOf(content);
  if (key === null) throw new MlsError('unknown_sender', `no member at leaf ${senderData.leafIndex}`);
  // Group and epoch were checked equal to the context's, so its cached pieces and the decrypted
  // body bytes make up exactly the FramedContentTBS the sender signed (the decoder is strict).
  const tbs = memberFramedContentTbsParts('private_message', ctx, senderData.leafIndex, message.authenticatedData, message.contentType, body);
  verifyFramedContentTbsPartsSignature(cs, tbs, pmc.auth.signature, key);
  return {
    authenticatedContent: { wireFormat: 'private_message', content, auth: pmc.auth },
    secretTree: consumed.tree,
    generation: senderData.generation,
  };
}
