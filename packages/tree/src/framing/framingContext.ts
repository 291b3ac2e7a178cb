// What message protection needs to know about the current epoch, computed once per epoch so that
// protecting or unprotecting a message never re-encodes the GroupContext.

import type { EpochSecrets } from '../keySchedule.ts';
import { groupContextBytes, type GroupContext } from '../wire/groupContext.ts';
import { encodeGroupAndEpoch } from '../wire/privateMessage.ts';
import type { FramedContent } from '../wire/framedContent.ts';

/** Per-epoch inputs of RFC 9420 section 6 framing (cache one per epoch). */
export interface FramingContext {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  /** Serialized GroupContext of the epoch (signed inside FramedContentTBS for member senders). */
  readonly groupContext: Uint8Array;
  /** membership_key of the epoch (PublicMessage membership_tag). */
  readonly membershipKey: Uint8Array;
  /** sender_data_secret of the epoch (PrivateMessage sender data). */
  readonly senderDataSecret: Uint8Array;
  /** opaque group_id<V> || uint64 epoch, the opening of every AAD and FramedContent of the epoch. */
  readonly groupAndEpoch: Uint8Array;
}

/** Signature public key of a message's sender (from the ratchet tree, external_senders, or the message itself), or null if unknown. */
export type SignatureKeyLookup = (content: FramedContent) => Uint8Array | null;

/** The framing context of an epoch from its GroupContext and key-schedule output. */
export function createFramingContext(groupContext: GroupContext, secrets: Pick<EpochSecrets, 'membershipKey' | 'senderDataSecret'>): FramingContext {
  return {
    groupId: groupContext.groupId,
    epoch: groupContext.epoch,
    groupContext: groupContextBytes(groupContext),
    membershipKey: secrets.membershipKey,
    senderDataSecret: secrets.senderDataSecret,
    groupAndEpoch: encodeGroupAndEpoch(groupContext.groupId, groupContext.epoch),
  };
}
