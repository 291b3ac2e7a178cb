import { fromHex, toHex } from '@weft/codec';
import type { CipherSuite } from '@weft/crypto';
import {
  computeConfirmationTag,
  computeConfirmedTranscriptHash,
  computeInterimTranscriptHash,
  decodeAuthenticatedContent,
  encodeAuthenticatedContent,
  encodeConfirmedTranscriptHashInput,
  verifyConfirmationTag,
} from '@weft/tree';
import { expectEqual, VectorMismatch, type VectorChecker, type VectorCase } from '../checker.ts';

/** RFC 9420 section 8.2 transcript hashes and the confirmation_tag, against transcript-hashes.json. */
export const checker: VectorChecker = {
  file: 'transcript-hashes.json',
  usesProvider: true,
  suiteOf: (tc) => Number(tc.cipher_suite),
  check(tc: VectorCase, cs: CipherSuite | null): void {
    if (!cs) throw new VectorMismatch('needs a cipher suite');
    const bytes = fromHex(String(tc.authenticated_content));
    const ac = decodeAuthenticatedContent(bytes);
    expectEqual('re-encoded authenticated_content', toHex(encodeAuthenticatedContent(ac)), String(tc.authenticated_content));
    if (ac.content.contentType !== 'commit' || ac.auth.confirmationTag === null) throw new VectorMismatch('authenticated_content is not a commit');
    const input = encodeConfirmedTranscriptHashInput(ac.wireFormat, ac.content, ac.auth.signature);
    const confirmed = computeConfirmedTranscriptHash(cs, fromHex(String(tc.interim_transcript_hash_before)), input);
    expectEqual('confirmed_transcript_hash_after', toHex(confirmed), String(tc.confirmed_transcript_hash_after));
    const key = fromHex(String(tc.confirmation_key));
    expectEqual('confirmation_tag', toHex(computeConfirmationTag(cs, key, confirmed)), toHex(ac.auth.confirmationTag));
    if (!verifyConfirmationTag(cs, key, confirmed, ac.auth.confirmationTag)) throw new VectorMismatch('confirmation_tag does not verify');
    const interim = computeInterimTranscriptHash(cs, confirmed, ac.auth.confirmationTag);
    expectEqual('interim_transcript_hash_after', toHex(interim), String(tc.interim_transcript_hash_after));
  },
};
