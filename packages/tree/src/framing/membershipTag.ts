// RFC 9420 section 6.2: the membership_tag of a PublicMessage from a member proves that the sender
// knew the epoch's membership_key: MAC(membership_key, AuthenticatedContentTBM).

import type { CipherSuite } from '@weft/crypto';
import { constantTimeEqual } from '../constantTime.ts';
import { encodeAuthenticatedContentTBM, type FramedContentAuthData } from '../wire/framedContent.ts';
import type { ContentType } from '../wire/enums.ts';

/** membership_tag = MAC(membership_key, FramedContentTBS || FramedContentAuthData). */
export function computeMembershipTag(cs: CipherSuite, membershipKey: Uint8Array, contentTbs: Uint8Array, auth: FramedContentAuthData, contentType: ContentType): Uint8Array {
  return cs.hmac(membershipKey, encodeAuthenticatedContentTBM(contentTbs, auth, contentType));
}

/** True when `tag` is the membership_tag of the content (constant-time comparison). */
export function verifyMembershipTag(
  cs: CipherSuite,
  membershipKey: Uint8Array,
  contentTbs: Uint8Array,
  auth: FramedContentAuthData,
  contentType: ContentType,
  tag: Uint8Array,
): boolean {
  return constantTimeEqual(computeMembershipTag(cs, membershipKey, contentTbs, auth, contentType), tag);
}
