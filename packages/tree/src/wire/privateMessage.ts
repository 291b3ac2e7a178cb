import { CodecError, encode, Reader, type Writer } from '@weft/codec';
import { opaqueSize, putOpaque, putRaw, putU32, putU64 } from './byteLayout.ts';
import { contentTypeToNumber, readContentType, writeContentType, type ContentType } from './enums.ts';
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
  return decodePrivateMessageContentWithBody(bytes, contentType).content;
}

/**
 * decodePrivateMessageContent that also returns the encoded body (the bytes before the auth data):
 * the decoder is strict (minimal varints, no trailing or unknown values), so they are exactly the
 * body's encoding, which FramedContentTBS contains as is.
 */
export function decodePrivateMessageContentWithBody(bytes: Uint8Array, contentType: ContentType): { content: PrivateMessageContent; body: Uint8Array } {
  const r = new Reader(bytes);
  const body = readMessageContentBody(r, contentType);
  const bodyEnd = r.offset;
  const auth = readFramedContentAuthData(r, contentType);
  const start = r.offset;
  for (let i = start; i < bytes.length; i++) {
    if (bytes[i] !== 0) throw new CodecError('invalid_value', 'PrivateMessageContent padding is not all zero', i);
  }
  const paddingLength = bytes.length - start;
  const content: PrivateMessageContent =
    body.contentType === 'application'
      ? { contentType: 'application', applicationData: body.applicationData, auth, paddingLength }
      : body.contentType === 'proposal'
        ? { contentType: 'proposal', proposal: body.proposal, auth, paddingLength }
        : { contentType: 'commit', commit: body.commit, auth, paddingLength };
  return { content, body: bytes.subarray(0, bodyEnd) };
}

/** PrivateMessageContent from its already encoded body: body || FramedContentAuthData || `paddingLength` zero bytes. */
export function assemblePrivateMessageContent(body: Uint8Array, auth: FramedContentAuthData, contentType: ContentType, paddingLength: number): Uint8Array {
  if (!Number.isInteger(paddingLength) || paddingLength < 0) throw new CodecError('invalid_value', `padding length ${paddingLength} is not a non-negative integer`);
  const tag = contentType === 'commit' ? auth.confirmationTag : null;
  if (contentType === 'commit' && tag === null) throw new CodecError('invalid_value', 'a commit needs a confirmation_tag');
  const out = new Uint8Array(body.length + opaqueSize(auth.signature.length) + (tag ? opaqueSize(tag.length) : 0) + paddingLength);
  let o = putRaw(out, 0, body);
  o = putOpaque(out, o, auth.signature);
  if (tag) putOpaque(out, o, tag);
  return out; // the padding is the zero-filled tail
}

/** TLS encoding of a SenderData. */
export function encodeSenderData(s: SenderData): Uint8Array {
  if (s.reuseGuard.length !== 4) throw new CodecError('invalid_value', 'reuse_guard must be 4 bytes');
  const out = new Uint8Array(12);
  putRaw(out, putU32(out, putU32(out, 0, s.leafIndex), s.generation), s.reuseGuard);
  return out;
}

/** Strictly decodes a SenderData. */
export function decodeSenderData(bytes: Uint8Array): SenderData {
  // A fixed 12-byte struct: read in place, with the same errors as the Reader would raise.
  if (bytes.length < 12) throw new CodecError('truncated', `SenderData needs 12 bytes but ${bytes.length} remain`, 0);
  if (bytes.length > 12) throw new CodecError('trailing_bytes', `${bytes.length - 12} unexpected bytes after the value`, 12);
  return { leafIndex: readU32At(bytes, 0), generation: readU32At(bytes, 4), reuseGuard: bytes.subarray(8, 12) };
}

function readU32At(b: Uint8Array, o: number): number {
  return (b[o] as number) * 0x1000000 + (((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number));
}

/**
 * opaque group_id<V> || uint64 epoch: the fields that open SenderDataAAD, PrivateContentAAD and
 * FramedContent alike, encoded once per epoch (FramingContext.groupAndEpoch).
 */
export function encodeGroupAndEpoch(groupId: Uint8Array, epoch: bigint): Uint8Array {
  const out = new Uint8Array(opaqueSize(groupId.length) + 8);
  putU64(out, putOpaque(out, 0, groupId), epoch);
  return out;
}

/** RFC 9420 section 6.3.2 SenderDataAAD. */
export function encodeSenderDataAAD(groupId: Uint8Array, epoch: bigint, contentType: ContentType): Uint8Array {
  return encodeSenderDataAADAfter(encodeGroupAndEpoch(groupId, epoch), contentType);
}

/** SenderDataAAD from the encoded group and epoch (encodeGroupAndEpoch). */
export function encodeSenderDataAADAfter(groupAndEpoch: Uint8Array, contentType: ContentType): Uint8Array {
  const out = new Uint8Array(groupAndEpoch.length + 1);
  out.set(groupAndEpoch);
  out[groupAndEpoch.length] = contentTypeToNumber(contentType);
  return out;
}

/** RFC 9420 section 6.3.1 PrivateContentAAD. */
export function encodePrivateContentAAD(
  groupId: Uint8Array,
  epoch: bigint,
  contentType: ContentType,
  authenticatedData: Uint8Array,
): Uint8Array {
  return encodePrivateContentAADAfter(encodeGroupAndEpoch(groupId, epoch), contentType, authenticatedData);
}

/** PrivateContentAAD from the encoded group and epoch (encodeGroupAndEpoch). */
export function encodePrivateContentAADAfter(groupAndEpoch: Uint8Array, contentType: ContentType, authenticatedData: Uint8Array): Uint8Array {
  const out = new Uint8Array(groupAndEpoch.length + 1 + opaqueSize(authenticatedData.length));
  out.set(groupAndEpoch);
  out[groupAndEpoch.length] = contentTypeToNumber(contentType);
  putOpaque(out, groupAndEpoch.length + 1, authenticatedData);
  return out;
}
