// RFC 9420 section 6.1: content authentication. Every FramedContent is signed over
// FramedContentTBS (version, wire format, content and, for member and new_member_commit senders,
// the GroupContext) with SignWithLabel(., "FramedContentTBS", .).

import type { CipherSuite } from '@weft/crypto';
import { signWithLabel, verifyWithLabel } from '@weft/crypto';
import { Writer } from '@weft/codec';
import { MlsError } from '../errors.ts';
import { writeProtocolVersion, writeWireFormat, type WireFormat } from '../wire/enums.ts';
import { writeFramedContent, type AuthenticatedContent, type FramedContent } from '../wire/framedContent.ts';

const LABEL = 'FramedContentTBS';

/** Serialized FramedContentTBS; `groupContext` is the serialized GroupContext (cached per epoch). */
export function encodeFramedContentTbs(wireFormat: WireFormat, content: FramedContent, groupContext: Uint8Array): Uint8Array {
  const w = new Writer(256 + groupContext.length);
  writeProtocolVersion(w);
  writeWireFormat(w, wireFormat);
  writeFramedContent(w, content);
  const t = content.sender.senderType;
  if (t === 'member' || t === 'new_member_commit') w.raw(groupContext);
  return w.finish();
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
  let ok: boolean;
  try {
    ok = verifyWithLabel(cs, signaturePublicKey, LABEL, tbs, signature);
  } catch {
    ok = false; // a malformed public key or signature is just as invalid
  }
  if (!ok) throw new MlsError('signature_invalid', 'the FramedContent signature does not verify');
}
