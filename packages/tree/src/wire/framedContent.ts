import { CodecError, decode, encode, Writer, type Reader } from '@weft/codec';
import { commitBytes, readCommit, writeCommit, type Commit } from './commit.ts';
import {
  readContentType,
  readSenderType,
  readWireFormat,
  writeContentType,
  writeProtocolVersion,
  writeSenderType,
  writeWireFormat,
  type ContentType,
  type WireFormat,
} from './enums.ts';
import { writeGroupContext, type GroupContext } from './groupContext.ts';
import { MAX_HASH_BYTES, MAX_ID_BYTES, MAX_PAYLOAD_BYTES, MAX_SIGNATURE_BYTES } from './limits.ts';
import { readProposal, writeProposal, type Proposal } from './proposal.ts';

/** RFC 9420 section 6 Sender. */
export type Sender =
  | { readonly senderType: 'member'; readonly leafIndex: number }
  | { readonly senderType: 'external'; readonly senderIndex: number }
  | { readonly senderType: 'new_member_proposal' }
  | { readonly senderType: 'new_member_commit' };

/** The content_type-selected body shared by FramedContent and PrivateMessageContent. */
export type MessageContent =
  | { readonly contentType: 'application'; readonly applicationData: Uint8Array }
  | { readonly contentType: 'proposal'; readonly proposal: Proposal }
  | { readonly contentType: 'commit'; readonly commit: Commit };

/** The FramedContent fields that precede its body. */
export interface FramedContentHeader {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly sender: Sender;
  readonly authenticatedData: Uint8Array;
}

/** RFC 9420 section 6 FramedContent (narrow on `contentType` to reach the body). */
export type FramedContent = FramedContentHeader & MessageContent;

/** RFC 9420 section 6.1 FramedContentAuthData; `confirmationTag` is present exactly for commits. */
export interface FramedContentAuthData {
  readonly signature: Uint8Array;
  readonly confirmationTag: Uint8Array | null;
}

/** RFC 9420 section 6.1 AuthenticatedContent. */
export interface AuthenticatedContent {
  readonly wireFormat: WireFormat;
  readonly content: FramedContent;
  readonly auth: FramedContentAuthData;
}

/** RFC 9420 section 6.2 PublicMessage; `membershipTag` is present exactly for member senders. */
export interface PublicMessage {
  readonly content: FramedContent;
  readonly auth: FramedContentAuthData;
  readonly membershipTag: Uint8Array | null;
}

/** Writes a Sender. */
export function writeSender(w: Writer, s: Sender): void {
  writeSenderType(w, s.senderType);
  if (s.senderType === 'member') w.u32(s.leafIndex);
  else if (s.senderType === 'external') w.u32(s.senderIndex);
}

/** Reads a Sender. */
export function readSender(r: Reader): Sender {
  const senderType = readSenderType(r);
  if (senderType === 'member') return { senderType, leafIndex: r.u32() };
  if (senderType === 'external') return { senderType, senderIndex: r.u32() };
  return { senderType };
}

/** Writes the content_type-selected body (without the content type itself). */
export function writeMessageContentBody(w: Writer, c: MessageContent): void {
  if (c.contentType === 'application') w.opaque(c.applicationData);
  else if (c.contentType === 'proposal') writeProposal(w, c.proposal);
  else writeCommit(w, c.commit);
}

/** Reads the body selected by `contentType`. */
export function readMessageContentBody(r: Reader, contentType: ContentType): MessageContent {
  if (contentType === 'application') return { contentType, applicationData: r.opaque(MAX_PAYLOAD_BYTES) };
  if (contentType === 'proposal') return { contentType, proposal: readProposal(r) };
  return { contentType, commit: readCommit(r) };
}

/**
 * A buffer size that holds the FramedContent (plus `extra` bytes) without growing: a commit is a few
 * KB, and a Writer that starts at 256 bytes would reallocate and copy it several times.
 */
export function framedContentCapacity(c: FramedContent, extra: number): number {
  const body = c.contentType === 'commit' ? commitBytes(c.commit).length : c.contentType === 'application' ? c.applicationData.length + 4 : 256;
  return 32 + c.groupId.length + c.authenticatedData.length + body + extra;
}

/** Writes a FramedContent. */
export function writeFramedContent(w: Writer, c: FramedContent): void {
  w.opaque(c.groupId).u64(c.epoch);
  writeSender(w, c.sender);
  w.opaque(c.authenticatedData);
  writeContentType(w, c.contentType);
  writeMessageContentBody(w, c);
}

/** Reads a FramedContent. */
export function readFramedContent(r: Reader): FramedContent {
  const groupId = r.opaque(MAX_ID_BYTES);
  const epoch = r.u64();
  const sender = readSender(r);
  const authenticatedData = r.opaque(MAX_PAYLOAD_BYTES);
  const body = readMessageContentBody(r, readContentType(r));
  return { groupId, epoch, sender, authenticatedData, ...body };
}

/** Writes a FramedContentAuthData for content of type `contentType`. */
export function writeFramedContentAuthData(w: Writer, a: FramedContentAuthData, contentType: ContentType): void {
  w.opaque(a.signature);
  if (contentType === 'commit') {
    if (a.confirmationTag === null) throw new CodecError('invalid_value', 'a commit needs a confirmation_tag');
    w.opaque(a.confirmationTag);
  }
}

/** Reads a FramedContentAuthData for content of type `contentType`. */
export function readFramedContentAuthData(r: Reader, contentType: ContentType): FramedContentAuthData {
  const signature = r.opaque(MAX_SIGNATURE_BYTES);
  const confirmationTag = contentType === 'commit' ? r.opaque(MAX_HASH_BYTES) : null;
  return { signature, confirmationTag };
}

/** Writes an AuthenticatedContent. */
export function writeAuthenticatedContent(w: Writer, a: AuthenticatedContent): void {
  writeWireFormat(w, a.wireFormat);
  writeFramedContent(w, a.content);
  writeFramedContentAuthData(w, a.auth, a.content.contentType);
}

/** Reads an AuthenticatedContent. */
export function readAuthenticatedContent(r: Reader): AuthenticatedContent {
  const wireFormat = readWireFormat(r);
  const content = readFramedContent(r);
  const auth = readFramedContentAuthData(r, content.contentType);
  return { wireFormat, content, auth };
}

/** TLS encoding of an AuthenticatedContent (the input of a ProposalRef and of transcript hashes). */
export function encodeAuthenticatedContent(a: AuthenticatedContent): Uint8Array {
  return encode((w) => writeAuthenticatedContent(w, a));
}

/** Strictly decodes an AuthenticatedContent. */
export function decodeAuthenticatedContent(bytes: Uint8Array): AuthenticatedContent {
  return decode(bytes, readAuthenticatedContent);
}

/**
 * RFC 9420 section 6.1 FramedContentTBS: the bytes a content signature covers. `context` must be
 * given for member and new_member_commit senders and is ignored for the others.
 */
export function encodeFramedContentTBS(wireFormat: WireFormat, content: FramedContent, context: GroupContext | null): Uint8Array {
  return encode((w) => {
    writeProtocolVersion(w);
    writeWireFormat(w, wireFormat);
    writeFramedContent(w, content);
    const t = content.sender.senderType;
    if (t === 'member' || t === 'new_member_commit') {
      if (context === null) throw new CodecError('invalid_value', `a ${t} sender's FramedContentTBS needs the GroupContext`);
      writeGroupContext(w, context);
    }
  });
}

/** RFC 9420 section 8.2 ConfirmedTranscriptHashInput: wire_format, content and signature. */
export function encodeConfirmedTranscriptHashInput(wireFormat: WireFormat, content: FramedContent, signature: Uint8Array): Uint8Array {
  const w = new Writer(framedContentCapacity(content, signature.length + 8));
  writeWireFormat(w, wireFormat);
  writeFramedContent(w, content);
  w.opaque(signature);
  return w.finish();
}

/** RFC 9420 section 8.2 InterimTranscriptHashInput: the confirmation tag as `opaque<V>`. */
export function encodeInterimTranscriptHashInput(confirmationTag: Uint8Array): Uint8Array {
  return encode((w) => w.opaque(confirmationTag));
}

/** RFC 9420 section 6.2 AuthenticatedContentTBM: the bytes a membership tag covers. */
export function encodeAuthenticatedContentTBM(contentTBS: Uint8Array, auth: FramedContentAuthData, contentType: ContentType): Uint8Array {
  const w = new Writer(contentTBS.length + auth.signature.length + (auth.confirmationTag?.length ?? 0) + 16);
  w.raw(contentTBS);
  writeFramedContentAuthData(w, auth, contentType);
  return w.finish();
}

/** Writes a PublicMessage. */
export function writePublicMessage(w: Writer, m: PublicMessage): void {
  writeFramedContent(w, m.content);
  writeFramedContentAuthData(w, m.auth, m.content.contentType);
  if (m.content.sender.senderType === 'member') {
    if (m.membershipTag === null) throw new CodecError('invalid_value', 'a member PublicMessage needs a membership_tag');
    w.opaque(m.membershipTag);
  }
}

/** Reads a PublicMessage. */
export function readPublicMessage(r: Reader): PublicMessage {
  const content = readFramedContent(r);
  const auth = readFramedContentAuthData(r, content.contentType);
  const membershipTag = content.sender.senderType === 'member' ? r.opaque(MAX_HASH_BYTES) : null;
  return { content, auth, membershipTag };
}
