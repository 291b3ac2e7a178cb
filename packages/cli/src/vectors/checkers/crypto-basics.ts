import { bytesEqual, fromHex, toHex } from '@weft/codec';
import {
  decryptWithLabel,
  deriveSecret,
  deriveTreeSecret,
  encryptWithLabel,
  expandWithLabel,
  refHash,
  signWithLabel,
  verifyWithLabel,
} from '@weft/crypto';
import type { CipherSuite } from '@weft/crypto';
import { expectEqual, VectorMismatch } from '../checker.ts';
import type { VectorCase, VectorChecker } from '../checker.ts';

/** Reads a string field of a sub-object, naming the path when it is missing. */
function field(tc: VectorCase, group: string, name: string): string {
  const sub = tc[group];
  if (typeof sub !== 'object' || sub === null) throw new VectorMismatch(`case has no "${group}" object`);
  const value = (sub as Record<string, unknown>)[name];
  if (typeof value !== 'string') throw new VectorMismatch(`${group}.${name} is missing or not a string`);
  return value;
}

/** Reads a numeric field of a sub-object. */
function numberField(tc: VectorCase, group: string, name: string): number {
  const sub = tc[group] as Record<string, unknown> | undefined;
  const value = sub?.[name];
  if (typeof value !== 'number') throw new VectorMismatch(`${group}.${name} is missing or not a number`);
  return value;
}

const hex = (tc: VectorCase, group: string, name: string): Uint8Array => fromHex(field(tc, group, name));

/** RFC 9420 section 5 labelled hash / KDF / signature / HPKE operations, against crypto-basics.json. */
export const checker: VectorChecker = {
  file: 'crypto-basics.json',
  usesProvider: true,
  suiteOf: (tc) => Number(tc.cipher_suite),
  check(tc: VectorCase, cs: CipherSuite | null): void {
    if (!cs) throw new VectorMismatch('crypto-basics needs a cipher suite');

    expectEqual(
      'ref_hash.out',
      toHex(refHash(cs, field(tc, 'ref_hash', 'label'), hex(tc, 'ref_hash', 'value'))),
      field(tc, 'ref_hash', 'out'),
    );

    expectEqual(
      'expand_with_label.out',
      toHex(
        expandWithLabel(
          cs,
          hex(tc, 'expand_with_label', 'secret'),
          field(tc, 'expand_with_label', 'label'),
          hex(tc, 'expand_with_label', 'context'),
          numberField(tc, 'expand_with_label', 'length'),
        ),
      ),
      field(tc, 'expand_with_label', 'out'),
    );

    expectEqual(
      'derive_secret.out',
      toHex(deriveSecret(cs, hex(tc, 'derive_secret', 'secret'), field(tc, 'derive_secret', 'label'))),
      field(tc, 'derive_secret', 'out'),
    );

    expectEqual(
      'derive_tree_secret.out',
      toHex(
        deriveTreeSecret(
          cs,
          hex(tc, 'derive_tree_secret', 'secret'),
          field(tc, 'derive_tree_secret', 'label'),
          numberField(tc, 'derive_tree_secret', 'generation'),
          numberField(tc, 'derive_tree_secret', 'length'),
        ),
      ),
      field(tc, 'derive_tree_secret', 'out'),
    );

    // sign_with_label: the given signature verifies, and a fresh one (ECDSA is randomised, so
    // bytes are not compared) verifies too.
    const sigPriv = hex(tc, 'sign_with_label', 'priv');
    const sigPub = hex(tc, 'sign_with_label', 'pub');
    const sigLabel = field(tc, 'sign_with_label', 'label');
    const content = hex(tc, 'sign_with_label', 'content');
    if (!verifyWithLabel(cs, sigPub, sigLabel, content, hex(tc, 'sign_with_label', 'signature'))) {
      throw new VectorMismatch('sign_with_label: VerifyWithLabel rejected the vector signature');
    }
    expectEqual('sign_with_label: public key of priv', toHex(cs.signaturePublicKey(sigPriv)), toHex(sigPub));
    if (!verifyWithLabel(cs, sigPub, sigLabel, content, signWithLabel(cs, sigPriv, sigLabel, content))) {
      throw new VectorMismatch('sign_with_label: a fresh SignWithLabel signature did not verify');
    }

    // encrypt_with_label: decrypt the vector ciphertext, then round-trip a fresh encryption.
    const encPriv = hex(tc, 'encrypt_with_label', 'priv');
    const encPub = hex(tc, 'encrypt_with_label', 'pub');
    const encLabel = field(tc, 'encrypt_with_label', 'label');
    const context = hex(tc, 'encrypt_with_label', 'context');
    const plaintext = hex(tc, 'encrypt_with_label', 'plaintext');
    expectEqual('encrypt_with_label: public key of priv', toHex(cs.kemPublicKey(encPriv)), toHex(encPub));
    const opened = decryptWithLabel(
      cs,
      encPriv,
      encLabel,
      context,
      hex(tc, 'encrypt_with_label', 'kem_output'),
      hex(tc, 'encrypt_with_label', 'ciphertext'),
    );
    expectEqual('encrypt_with_label: DecryptWithLabel plaintext', toHex(opened), toHex(plaintext));
    const fresh = encryptWithLabel(cs, encPub, encLabel, context, plaintext);
    const reopened = decryptWithLabel(cs, encPriv, encLabel, context, fresh.kemOutput, fresh.ciphertext);
    if (!bytesEqual(reopened, plaintext)) {
      throw new VectorMismatch(`encrypt_with_label: round trip gave ${toHex(reopened)}, expected ${toHex(plaintext)}`);
    }
    // Guard against a silently ignored label: a different label must not decrypt.
    let wrongLabelOpened = false;
    try {
      decryptWithLabel(cs, encPriv, `${encLabel}-other`, context, fresh.kemOutput, fresh.ciphertext);
      wrongLabelOpened = true;
    } catch {
      // expected: decrypt_failed
    }
    if (wrongLabelOpened) throw new VectorMismatch('encrypt_with_label: ciphertext opened under a different label');
  },
};
