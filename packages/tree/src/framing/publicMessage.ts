// RFC 9420 section 6.2: PublicMessage. Content is signed but not encrypted; a member sender adds a
// membership_tag. Application data must never be sent this way.

import type { CipherSuite } from '@weft/crypto';
import { bytesEqual } from '@weft/codec';
import { MlsError } from '../errors.ts';
import type { AuthenticatedContent, FramedContent, PublicMessage } from '../wire/framedContent.ts';
import { encodeFramedContentTbs, verifyFramedContentTbsSignature } from './contentAuth.ts';
import type { FramingContext, SignatureKeyLookup } from './framingContext.ts';
import { computeMembershipTag, verifyMembershipTag } from './membershipTag.ts';

/** Throws MlsError wrong_group / wrong_epoch unless the content belongs to the context's group and epoch. */
export function checkGroupAndEpoch(ctx: FramingContext, groupId: Uint8Array, epoch: bigint): void {
  if (!bytesEqual(groupId, ctx.groupId)) throw new MlsError('wrong_group', 'the message is for another group');
  if (epoch !== ctx.epoch) throw new MlsError('wrong_epoch', `the message is for epoch ${epoch}, not ${ctx.epoch}`);
}

function checkPublicContent(content: FramedContent): void {
  if (content.contentType === 'application') {
    throw new MlsError('application_in_public_message', 'application data must be sent as a PrivateMessage');
  }
  if (content.contentType === 'commit' && content.sender.senderType !== 'member' && content.sender.senderType !== 'new_member_commit') {
    throw new MlsError('unknown_sender', `a ${content.sender.senderType} sender cannot send a commit`);
  }
}

/** Frames signed content as a PublicMessage, adding the membership_tag for member senders. */
export function protectPublicMessage(cs: CipherSuite, ctx: FramingContext, authenticated: AuthenticatedContent): PublicMessage {
  const { content, auth } = authenticated;
  if (authenticated.wireFormat !== 'public_message') throw new MlsError('wrong_wire_format', 'the content was signed for another wire format');
  checkPublicContent(content);
  checkGroupAndEpoch(ctx, content.groupId, content.epoch);
  if (content.contentType === 'commit' && auth.confirmationTag === null) throw new MlsError('confirmation_tag_missing', 'a commit needs its confirmation_tag');
  if (content.sender.senderType !== 'member') return { content, auth, membershipTag: null };
  const tbs = encodeFramedContentTbs('public_message', content, ctx.groupContext);
  return { content, auth, membershipTag: computeMembershipTag(cs, ctx.membershipKey, tbs, auth, content.contentType) };
}

/**
 * Verifies a received PublicMessage (group, epoch, content type, membership_tag, signature) and
 * returns its AuthenticatedContent. A commit's confirmation_tag is checked later, against the new
 * epoch's confirmation_key. Throws MlsError with code wrong_group, wrong_epoch,
 * application_in_public_message, membership_tag_invalid, unknown_sender or signature_invalid.
 */
export function unprotectPublicMessage(cs: CipherSuite, ctx: FramingContext, message: PublicMessage, signatureKeyOf: SignatureKeyLookup): AuthenticatedContent {
  const { content, auth } = message;
  checkGroupAndEpoch(ctx, content.groupId, content.epoch);
  checkPublicContent(content);
  const tbs = encodeFramedContentTbs('public_message', content, ctx.groupContext);
  if (content.sender.senderType === 'member') {
    // Cheap MAC first: a non-member's forgery is dropped before the signature check.
    if (message.membershipTag === null || !verifyMembershipTag(cs, ctx.membershipKey, tbs, auth, content.contentType, message.membershipTag)) {
      throw new MlsError('membership_tag_invalid', 'the membership_tag does not verify');
    }
  }
  const key = signatureKeyOf(content);
  if (key === null) throw new MlsError('unknown_sender', `no signature key for the ${content.sender.senderType} sender`);
  verifyFramedContentTbsSignature(cs, tbs, auth.signature, key);
  return { wireFormat: 'public_message', content, auth };
}
