// RFC 9420 section 6.1: content authentication. Every FramedContent is signed over
// FramedContentTBS (version, wire format, content and, for member and new_member_commit senders,
// the GroupContext) with SignWithLabel(., "FramedContentTBS", .).

import type { CipherSuite } from '@weft/crypto';
import { signWithLabel, signWithLabelParts, verifyWithLabelParts } from '@weft/crypto';
import { Writer } from '@weft/codec';
import { MlsError } from '../errors.ts';
import { opaqueSize, putOpaque, putU32 } from '../wire/byteLayout.ts';
import { contentTypeToNumber, MLS10, wireFormatToNumber, writeProtocolVersion, writeWireFormat, type ContentType, type WireFormat } from '../wire/enums.ts';
import type { FramingContext } from './framingContext.ts';
import { framedContentCapacity, writeFramedContent, type AuthenticatedContent, type FramedContent } from '../wire/framedContent.ts';

const LABEL = 'FramedContentTBS';

/** Serialized FramedContentTBS; `groupContext` is the serialized GroupContext (cached per epoch). */
export function encodeFramedContentTbs(wireFormat: WireFormat, content: FramedContent, groupContext: Uint8Array): Uint8Array {
  const w = new Writer(framedContentCapacity(content, 4 + groupContext.length));
  writeProtocolVersion(w);
  writeWireFormat(w, wireFormat);
  writeFramedContent(w, content);
  const t = content.sender.senderType;
  if (t === 'member' || t === 'new_member_commit') w.raw(groupContext);
  return w.finish();
}

const SENDER_MEMBER = 1;

/**
 * FramedContentTBS of content a member sends in the epoch of `ctx`, as the byte ranges it is made
 * of: version and wire format, group and epoch (cached per epoch), sender, authenticated_data and
 * content type, the encoded body, the GroupContext (cached per epoch). The body may be the bytes a
 * message was just decoded from: nothing is encoded twice.
 */
export function memberFramedContentTbsParts(
  wireFormat: WireFormat,
  ctx: FramingContext,
  leafIndex: number,
  authenticatedData: Uint8Array,
  contentType: ContentType,
  body: Uint8Array,
): Uint8Array[] {
  const wire = wireFormatToNumber(wireFormat);
  const head = new Uint8Array(4 + 5 + opaqueSize(authenticatedData.length) + 1);
  head[0] = MLS10 >> 8;
  head[1] = MLS10 & 0xff;
  head[2] = wire >> 8;
  head[3] = wire & 0xff;
  // The sender, authenticated_data and content type follow group and epoch; they go in a second piece.
  const tail = head.subarray(4);
  tail[0] = SENDER_MEMBER;
  let o = putU32(tail, 1, leafIndex);
  o = putOpaque(tail, o, authenticatedData);
  tail[o] = contentTypeToNumber(contentType);
  return [head.subarray(0, 4), ctx.groupAndEpoch, tail, body, ctx.groupContext];
}

/** SignWithLabel(., "FramedContentTBS", .) over FramedContentTBS given as byte ranges (memberFramedContentTbsParts). */
export function signFramedContentTbsParts(cs: CipherSuite, parts: readonly Uint8Array[], signaturePrivateKey: Uint8Array): Uint8Array {
  return signWithLabelParts(cs, signaturePrivateKey, LABEL, parts);
}

/** Throws MlsError signature_invalid unless `signature` verifies over FramedContentTBS given as byte ranges. */
export function verifyFramedContentTbsPartsSignature(cs: CipherSuite, parts: readonly Uint8Array[], signature: Uint8Array, signaturePublicKey: Uint8Array): void {
  let ok: boolean;
  try {
    ok = verifyWithLabelParts(cs, signaturePublicKey, LABEL, parts, signature);
  } catch {
    ok = false; // a malformed public key or signature is just as invalid
  }
  if (!ok) throw new MlsError('signature_invalid', 'the FramedContent signature does not verify');
}

/**
 * Signs `content` as it will be sent with `wireFormat` and returns the AuthenticatedContent. A
 * commit's confirmation_tag depends on this signature, so it starts out null; set it with
 * attachConfirmationTag once the new epoch's confirmation_key is known.
 */
export function signFramedContent(
  cs: CipherSuite,
  groupContext: Uint8Array,
  wireFormat: WireFormat,
  content: FramedContent,
  signaturePrivateKey: Uint8Array,
): AuthenticatedContent {
  const tbs = encodeFramedContentTbs(wireFormat, content, groupContext);
  return { wireFormat, content, auth: { signature: signWithLabel(cs, signaturePrivateKey, LABEL, tbs), confirmationTag: null } };
}

/** The same AuthenticatedContent carrying `confirmationTag` (commits only). */
export function attachConfirmationTag(authenticated: AuthenticatedContent, confirmationTag: Uint8Array): AuthenticatedContent {
  return { ...authenticated, auth: { signature: authenticated.auth.signature, confirmationTag } };
}

/** Throws MlsError signature_invalid unless the content's signature verifies under `signaturePublicKey`. */
export function verifyFramedContentSignature(cs: CipherSuite, groupContext: Uint8Array, authenticated: AuthenticatedContent, signaturePublicKey: Uint8Array): void {
  const tbs = encodeFramedContentTbs(authenticated.wireFormat, authenticated.content, groupContext);
  verifyFramedContentTbsSignature(cs, tbs, authenticated.auth.signature, signaturePublicKey);
}

/** Throws MlsError signature_invalid unless `signature` verifies over the serialized FramedContentTBS. */
export function verifyFramedContentTbsSignature(cs: CipherSuite, tbs: Uint8Array, signature: Uint8Array, signaturePublicKey: Uint8Array): void {
  verifyFramedContentTbsPartsSignature(cs, [tbs], signature, signaturePublicKey);
}
