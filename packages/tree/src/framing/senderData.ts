// RFC 9420 section 6.3.2: sender data encryption. A PrivateMessage's sender (leaf index,
// generation, reuse_guard) is encrypted under a key and nonce derived from the sender_data_secret
// and a sample of the content ciphertext, so it hides who sent what.

import type { CipherSuite } from '@weft/crypto';
import { expandWithLabel } from '@weft/crypto';
import { MlsError } from '../errors.ts';
import type { ContentType } from '../wire/enums.ts';
import { decodeSenderData, encodeSenderData, encodeSenderDataAAD, encodeSenderDataAADAfter, type PrivateMessage, type SenderData } from '../wire/privateMessage.ts';
import type { FramingContext } from './framingContext.ts';

/** ciphertext_sample: the first Nh bytes of the content ciphertext (all of it when shorter). */
export function sampleCiphertext(cs: CipherSuite, ciphertext: Uint8Array): Uint8Array {
  return ciphertext.length <= cs.Nh ? ciphertext : ciphertext.subarray(0, cs.Nh);
}

/** sender_data_key / sender_data_nonce = ExpandWithLabel(sender_data_secret, "key"/"nonce", ciphertext_sample, Nk/Nn). */
export function deriveSenderDataKeyAndNonce(cs: CipherSuite, senderDataSecret: Uint8Array, ciphertext: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const sample = sampleCiphertext(cs, ciphertext);
  return {
    key: expandWithLabel(cs, senderDataSecret, 'key', sample, cs.Nk),
    nonce: expandWithLabel(cs, senderDataSecret, 'nonce', sample, cs.Nn),
  };
}

/** encrypted_sender_data: AEAD of SenderData under the key/nonce sampled from the content ciphertext, AAD = SenderDataAAD. */
export function encryptSenderData(
  cs: CipherSuite,
  senderDataSecret: Uint8Array,
  senderData: SenderData,
  ciphertext: Uint8Array,
  groupId: Uint8Array,
  epoch: bigint,
  contentType: ContentType,
): Uint8Array {
  return sealSenderData(cs, senderDataSecret, senderData, ciphertext, encodeSenderDataAAD(groupId, epoch, contentType));
}

/** encryptSenderData for a message of the epoch of `ctx` (its group and epoch are encoded once per epoch). */
export function encryptSenderDataIn(cs: CipherSuite, ctx: FramingContext, senderData: SenderData, ciphertext: Uint8Array, contentType: ContentType): Uint8Array {
  return sealSenderData(cs, ctx.senderDataSecret, senderData, ciphertext, encodeSenderDataAADAfter(ctx.groupAndEpoch, contentType));
}

function sealSenderData(cs: CipherSuite, senderDataSecret: Uint8Array, senderData: SenderData, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array {
  const { key, nonce } = deriveSenderDataKeyAndNonce(cs, senderDataSecret, ciphertext);
  return cs.aeadSeal(key, nonce, aad, encodeSenderData(senderData));
}

/** Decrypts a PrivateMessage's sender data; throws MlsError sender_data_decrypt_failed, or CodecError if it is malformed. */
export function decryptSenderData(cs: CipherSuite, senderDataSecret: Uint8Array, message: PrivateMessage): SenderData {
  return openSenderData(cs, senderDataSecret, message, encodeSenderDataAAD(message.groupId, message.epoch, message.contentType));
}

/** decryptSenderData for a message already checked to be of the epoch of `ctx`. */
export function decryptSenderDataIn(cs: CipherSuite, ctx: FramingContext, message: PrivateMessage): SenderData {
  return openSenderData(cs, ctx.senderDataSecret, message, encodeSenderDataAADAfter(ctx.groupAndEpoch, message.contentType));
}

function openSenderData(cs: CipherSuite, senderDataSecret: Uint8Array, message: PrivateMessage, aad: Uint8Array): SenderData {
  const { key, nonce } = deriveSenderDataKeyAndNonce(cs, senderDataSecret, message.ciphertext);
  let plaintext: Uint8Array;
  try {
    plaintext = cs.aeadOpen(key, nonce, aad, message.encryptedSenderData);
  } catch {
    throw new MlsError('sender_data_decrypt_failed', 'the sender data does not decrypt');
  }
  return decodeSenderData(plaintext);
}
