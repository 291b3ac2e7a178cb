import { fromHex, toHex } from '@weft/codec';
import type { CipherSuite } from '@weft/crypto';
import { consumeKey, createSecretTree, deriveSenderDataKeyAndNonce, leafIndex, type RatchetType } from '@weft/tree';
import { expectEqual, VectorMismatch, type VectorChecker, type VectorCase } from '../checker.ts';

interface GenerationCase {
  generation: number;
  handshake_key: string;
  handshake_nonce: string;
  application_key: string;
  application_nonce: string;
}

interface SenderDataCase {
  sender_data_secret: string;
  ciphertext: string;
  key: string;
  nonce: string;
}

/** RFC 9420 section 9 secret tree and section 6.3.2 sender-data keys, against secret-tree.json. */
export const checker: VectorChecker = {
  file: 'secret-tree.json',
  usesProvider: true,
  suiteOf: (tc) => Number(tc.cipher_suite),
  check(tc: VectorCase, cs: CipherSuite | null): void {
    if (!cs) throw new VectorMismatch('needs a cipher suite');
    const sd = tc.sender_data as SenderDataCase;
    const { key, nonce } = deriveSenderDataKeyAndNonce(cs, fromHex(sd.sender_data_secret), fromHex(sd.ciphertext));
    expectEqual('sender_data.key', toHex(key), sd.key);
    expectEqual('sender_data.nonce', toHex(nonce), sd.nonce);

    const leaves = tc.leaves as GenerationCase[][];
    let tree = createSecretTree(fromHex(String(tc.encryption_secret)), leaves.length);
    leaves.forEach((gens, i) => {
      for (const g of gens) {
        for (const type of ['handshake', 'application'] as RatchetType[]) {
          const consumed = consumeKey(cs, tree, leafIndex(i), type, g.generation);
          tree = consumed.tree;
          const [wantKey, wantNonce] = type === 'handshake' ? [g.handshake_key, g.handshake_nonce] : [g.application_key, g.application_nonce];
          expectEqual(`leaf ${i} gen ${g.generation} ${type}_key`, toHex(consumed.key.key), wantKey);
          expectEqual(`leaf ${i} gen ${g.generation} ${type}_nonce`, toHex(consumed.key.nonce), wantNonce);
        }
      }
    });
  },
};
