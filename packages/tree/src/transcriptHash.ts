// RFC 9420 section 8.2: the transcript hashes. The confirmed transcript hash chains every Commit
// (its FramedContent and signature) into the GroupContext; the interim hash adds the Commit's
// confirmation_tag, ready for the next Commit. Section 6.1's confirmation_tag is here too.

import type { CipherSuite } from '@weft/crypto';
import { concatBytes, encodeOpaque } from '@weft/codec';
import { constantTimeEqual } from './constantTime.ts';

/** confirmed_transcript_hash = Hash(interim_transcript_hash_before || ConfirmedTranscriptHashInput). */
export function computeConfirmedTranscriptHash(cs: CipherSuite, interimBefore: Uint8Array, confirmedInput: Uint8Array): Uint8Array {
  return cs.hash(concatBytes(interimBefore, confirmedInput));
}

/** interim_transcript_hash = Hash(confirmed_transcript_hash || InterimTranscriptHashInput { MAC confirmation_tag }). */
export function computeInterimTranscriptHash(cs: CipherSuite, confirmed: Uint8Array, confirmationTag: Uint8Array): Uint8Array {
  return cs.hash(concatBytes(confirmed, encodeOpaque(confirmationTag)));
}

/** confirmation_tag = MAC(confirmation_key, confirmed_transcript_hash). */
export function computeConfirmationTag(cs: CipherSuite, confirmationKey: Uint8Array, confirmedTranscriptHash: Uint8Array): Uint8Array {
  return cs.hmac(confirmationKey, confirmedTranscriptHash);
}

/** True when `tag` is the confirmation_tag of `confirmedTranscriptHash` under `confirmationKey` (constant time). */
export function verifyConfirmationTag(cs: CipherSuite, confirmationKey: Uint8Array, confirmedTranscriptHash: Uint8Array, tag: Uint8Array): boolean {
  return constantTimeEqual(computeConfirmationTag(cs, confirmationKey, confirmedTranscriptHash), tag);
}
