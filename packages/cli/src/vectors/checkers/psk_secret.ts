import { fromHex, toHex } from '@weft/codec';
import type { CipherSuite } from '@weft/crypto';
import { computePskSecret, type PskInput } from '@weft/tree';
import { expectEqual, VectorMismatch, type VectorChecker, type VectorCase } from '../checker.ts';

interface PskCase {
  psk_id: string;
  psk: string;
  psk_nonce: string;
}

/** RFC 9420 section 8.4 psk_secret over 0..10 external PSKs, against psk_secret.json. */
export const checker: VectorChecker = {
  file: 'psk_secret.json',
  usesProvider: true,
  suiteOf: (tc) => Number(tc.cipher_suite),
  check(tc: VectorCase, cs: CipherSuite | null): void {
    if (!cs) throw new VectorMismatch('needs a cipher suite');
    const psks: PskInput[] = (tc.psks as PskCase[]).map((p) => ({
      id: { pskType: 'external', pskId: fromHex(p.psk_id), pskNonce: fromHex(p.psk_nonce) },
      psk: fromHex(p.psk),
    }));
    expectEqual('psk_secret', toHex(computePskSecret(cs, psks)), String(tc.psk_secret));
  },
};
