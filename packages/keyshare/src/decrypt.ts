// Reading a PrivateMessage with a forwarded key: sender data opened with the per-message
// sender-data key from the answer (or the requester's own sender_data_secret), content opened with
// a secret tree that holds only the forwarded ratchet, and the MLS signature inside verified under
// the real sender's leaf key from the public epoch view, so a forwarded key can never forge content.
import type { CID } from 'multiformats/cid';
import type { CipherSuite } from '@weft/crypto';
import { bytesEqual } from '@weft/codec';
import {
  consumeKey,
  decodeMlsMessage,
  decodePrivateMessageContent,
  decodeSenderData,
  decryptSenderData,
  encodePrivateContentAAD,
  encodeSenderDataAAD,
  importSenderRatchet,
  leafIndex,
  sampleCiphertext,
  verifyFramedContentSignature,
  type FramedContent,
  type PrivateMessage,
  type SecretTree,
  type SenderData,
} from '@weft/tree';
import type { AnswerSecret } from './answer.ts';
import { KeyshareError } from './errors.ts';
import type { MessageRef } from './messages.ts';

/** The public facts of an epoch the requester needs to check a decrypted message (from the public DAG). */
export interface EpochView {
  readonly groupId: Uint8Array;
  /** The epoch number inside the MLS messages. */
  readonly epoch: bigint;
  readonly leafCount: number;
  /** The serialized GroupContext of the epoch (signed inside every FramedContentTBS). */
  readonly groupContext: Uint8Array;
  /** The signature key of the member at `leaf`, or null. */
  signatureKeyOf(leaf: number): Uint8Array | null;
  /** The requester's own sender_data_secret of the epoch, when it still holds it (range requests). */
  readonly senderDataSecret?: Uint8Array;
}

/** A message decrypted with a forwarded key, authenticated to its real sender. */
export interface ReadMessage {
  readonly cid: CID;
  readonly sender: number;
  readonly generation: number;
  readonly plaintext: Uint8Array;
  readonly authenticatedData: Uint8Array;
}

/** The secret tree view an answer gives: only the forwarded ratchet of one sender. */
export function createAnswerTree(view: EpochView, sender: number, secret: AnswerSecret): SecretTree {
  return importSenderRatchet(
    { leaf: leafIndex(sender), type: 'application', generation: secret.generation, next: secret.next, secret: secret.secret, keys: secret.keys },
    view.leafCount,
  );
}

/** Decodes MLSMessage bytes that must hold an application PrivateMessage; throws KeyshareError('malformed'). */
export function decodeApplicationMessage(bytes: Uint8Array): PrivateMessage {
  let m;
  try {
    m = decodeMlsMessage(bytes);
  } catch (err) {
    throw new KeyshareError('malformed', `not an MLSMessage: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (m.wireFormat !== 'private_message' || m.privateMessage.contentType !== 'application') throw new KeyshareError('malformed', 'not an application PrivateMessage');
  return m.privateMessage;
}

function guardNonce(nonce: Uint8Array, reuseGuard: Uint8Array): Uint8Array {
  const out = nonce.slice();
  for (let i = 0; i < 4; i++) out[i] = (out[i] as number) ^ (reuseGuard[i] as number);
  return out;
}

/**
 * Decrypts and authenticates one application message with an answer's secret. Returns the message
 * and the tree with the used key removed. Throws KeyshareError: malformed (not this epoch),
 * key_mismatch (the secret does not open it, or it is from another sender), forged (the MLS signature
 * is not the sender's).
 */
export function readWithAnswer(
  cs: CipherSuite,
  view: EpochView,
  tree: SecretTree,
  sender: number,
  secret: AnswerSecret,
  cid: CID,
  message: PrivateMessage,
): { readonly message: ReadMessage; readonly tree: SecretTree } {
  if (message.epoch !== view.epoch || !bytesEqual(message.groupId, view.groupId)) throw new KeyshareError('malformed', 'the message is not of that epoch');
  const sdk = secret.senderDataKeys.find((k) => k.cid.equals(cid));
  let senderData: SenderData;
  try {
    if (sdk) {
      const aad = encodeSenderDataAAD(message.groupId, message.epoch, message.contentType);
      senderData = decodeSenderData(cs.aeadOpen(sdk.key, sdk.nonce, aad, message.encryptedSenderData));
    } else if (view.senderDataSecret) {
      senderData = decryptSenderData(cs, view.senderDataSecret, message);
    } else {
      throw new KeyshareError('key_mismatch', 'no sender-data key for this message');
    }
  } catch (err) {
    if (err instanceof KeyshareError) throw err;
    throw new KeyshareError('key_mismatch', 'the sender data does not open with the forwarded key');
  }
  if (senderData.leafIndex !== sender) throw new KeyshareError('key_mismatch', `the message is from leaf ${senderData.leafIndex}, not ${sender}`);
  let plaintext: Uint8Array;
  let next: SecretTree;
  try {
    const consumed = consumeKey(cs, tree, leafIndex(sender), 'application', senderData.generation);
    const aad = encodePrivateContentAAD(message.groupId, message.epoch, message.contentType, message.authenticatedData);
    plaintext = cs.aeadOpen(consumed.key.key, guardNonce(consumed.key.nonce, senderData.reuseGuard), aad, message.ciphertext);
    next = consumed.tree;
  } catch {
    throw new KeyshareError('key_mismatch', `the forwarded ratchet does not decrypt generation ${senderData.generation}`);
  }
  let content: FramedContent;
  let signature: Uint8Array;
  try {
    const pmc = decodePrivateMessageContent(plaintext, message.contentType);
    if (pmc.contentType !== 'application') throw new Error('not application data');
    content = {
      groupId: message.groupId,
      epoch: message.epoch,
      sender: { senderType: 'member', leafIndex: sender },
      authenticatedData: message.authenticatedData,
      contentType: 'application',
      applicationData: pmc.applicationData,
    };
    signature = pmc.auth.signature;
  } catch (err) {
    throw new KeyshareError('malformed', `the decrypted content is malformed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const key = view.signatureKeyOf(sender);
  if (key === null) throw new KeyshareError('forged', `no member at leaf ${sender} in that epoch`);
  try {
    verifyFramedContentSignature(cs, view.groupContext, { wireFormat: 'private_message', content, auth: { signature, confirmationTag: null } }, key);
  } catch {
    throw new KeyshareError('forged', 'the MLS signature inside the message is not its sender\'s');
  }
  if (content.contentType !== 'application') throw new KeyshareError('malformed', 'not application data');
  return {
    message: { cid, sender, generation: senderData.generation, plaintext: content.applicationData, authenticatedData: message.authenticatedData },
    tree: next,
  };
}


/** The public parts of a held message that a request names it by (event CID, encrypted sender data, ciphertext sample). */
export function createMessageRef(cs: CipherSuite, cid: CID, bytes: Uint8Array): MessageRef {
  const m = decodeApplicationMessage(bytes);
  return { cid, esd: m.encryptedSenderData, sample: sampleCiphertext(cs, m.ciphertext).slice() };
}
