import { CodecError, decode, encode, Reader, type Writer } from '@weft/codec';
import { readContentType, writeContentType, type ContentType } from './enums.ts';
import {
  readFramedContentAuthData,
  readMessageContentBody,
  writeFramedContentAuthData,
  writeMessageContentBody,
  type FramedContentAuthData,
  type MessageContent,
} from './framedContent.ts';
import { MAX_ID_BYTES, MAX_PAYLOAD_BYTES } from './limits.ts';

/** RFC 9420 section 6.3 PrivateMessage. */
export interface PrivateMessage {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly contentType: ContentType;
  readonly authenticatedData: Uint8Array;
  readonly encryptedSenderData: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** RFC 9420 section 6.3.1 PrivateMessageContent: body, auth data and `paddingLength` zero bytes. */
export type PrivateMessageContent = MessageContent & {
  readonly auth: FramedContentAuthData;
  readonly paddingLength: number;
};

/** RFC 9420 section 6.3.2 SenderData (`reuseGuard` is 4 bytes). */
export interface SenderData {
  readonly leafIndex: number;
  readonly generation: number;
  readonly reuseGuard: Uint8Array;
}

/** Writes a PrivateMessage. */
export function writePrivateMessage(w: Writer, m: PrivateMessage): void {
  w.opaque(m.groupId).u64(m.epoch);
  writeContentType(w, m.contentType);
  w.opaque(m.authenticatedData).opaque(m.encryptedSenderData).opaque(m.ciphertext);
}

/** Reads a PrivateMessage. */
export function readPrivateMessage(r: Reader): PrivateMessage {
  const groupId = r.opaque(MAX_ID_BYTES);
  const epoch = r.u64();
  const contentType = readContentType(r);
  const authenticatedData = r.opaque(MAX_PAYLOAD_BYTES);
  const encryptedSenderData = r.opaque(MAX_PAYLOAD_BYTES);
  const ciphertext = r.opaque(MAX_PAYLOAD_BYTES);
  return { groupId, epoch, contentType, authenticatedData, encryptedSenderData, ciphertext };
}

/** TLS encoding of a PrivateMessageContent, padding included. */
export function encodePrivateMessageContent(c: PrivateMessageContent): Uint8Array {
  return encode((w) => {
    writeMessageContentBody(w, c);
    writeFramedContentAuthData(w, c.auth, c.contentType);
    w.raw(new Uint8Array(c.paddingLength));
  });
}

/** Decodes a PrivateMessageContent of the given type; the padding must be all zero bytes. */
export function decodePrivateMessageContent(bytes: Uint8Array, contentType: ContentType): PrivateMessageContent {
  const r = new Reader(bytes);
  const body = readMessageContentBody(r, contentType);
  const auth = readFramedContentAuthData(r, contentType);
  const start = r.offset;
  for (let i = start; i < bytes.length; i++) {
    if (bytes[i] !== 0) throw new CodecError('invalid_value', 'PrivateMessageContent padding is not all zero', i);
  }
  return { ...body, auth, paddingLength: bytes.length - start };
}

/** TLS encoding of a SenderData. */
export function encodeSenderData(s: SenderData): Uint8Array {
  if (s.reuseGuard.length !== 4) throw new CodecError('invalid_value', 'reuse_guard must be 4 bytes');
  return encode((w) => w.u32(s.leafIndex).u32(s.generation).raw(s.reuseGuard));
}

/** Strictly decodes a SenderData. */
export function decodeSenderData(bytes: Uint8Array): SenderData {
  return decode(bytes, (r) => {
    const leafIndex = r.u32();
    const generation = r.u32();
    return { leafIndex, generation, reuseGuard: r.raw(4) };
  });
}

/** RFC 9420 section 6.3.2 SenderDataAAD. */
export function encodeSenderDataAAD(groupId: Uint8Array, epoch: bigint, contentType: ContentType): Uint8Array {
  return encode((w) => {
    w.opaque(groupId).u64(epoch);
    writeContentType(w, contentType);
  });
}

/** RFC 9420 section 6.3.1 PrivateContentAAD. */
export function encodePrivateContentAAD(
  groupId: Uint8Array,
  epoch: bigint,
  contentType: ContentType,
  authenticatedData: Uint8Array,
): Uint8Array {
  return encode((w) => {
    w.opaque(groupId).u64(epoch);
    writeContentType(w, contentType);
    w.opaque(authenticatedData);
  });
}
