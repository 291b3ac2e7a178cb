// RFC 9420 section 10 KeyPackages: signing, and the checks of section 10.1 that do not need a group.

import { CryptoError, signWithLabel, verifyWithLabel, type CipherSuite } from '@weft/crypto';
import { bytesEqual } from '@weft/codec';
import { MlsError } from './errors.ts';
import { encodeKeyPackageTBS, type KeyPackage, type KeyPackageContent } from './wire/keyPackage.ts';

/** Signs a KeyPackage (label "KeyPackageTBS") with the leaf's signature private key. */
export function signKeyPackage(cs: CipherSuite, content: KeyPackageContent, signaturePrivateKey: Uint8Array): KeyPackage {
  return { ...content, signature: signWithLabel(cs, signaturePrivateKey, 'KeyPackageTBS', encodeKeyPackageTBS(content)) };
}

/** True when the KeyPackage signature verifies under its leaf's signature_key (a malformed key is false). */
export function verifyKeyPackageSignature(cs: CipherSuite, keyPackage: KeyPackage): boolean {
  try {
    return verifyWithLabel(cs, keyPackage.leafNode.signatureKey, 'KeyPackageTBS', encodeKeyPackageTBS(keyPackage), keyPackage.signature);
  } catch (err) {
    if (err instanceof CryptoError) return false;
    throw err;
  }
}

/**
 * Section 10.1 checks of a KeyPackage on its own: the group's cipher suite, a valid signature,
 * init_key different from the leaf's encryption_key, and a key_package-sourced leaf. The leaf's
 * group checks (validateLeafNode with source key_package) come on top when it is added.
 * `signatureValid`, when given, is the KeyPackage signature's verdict from a batch verification.
 */
export function validateKeyPackage(cs: CipherSuite, keyPackage: KeyPackage, signatureValid?: boolean): void {
  if (keyPackage.cipherSuite !== cs.id) {
    throw new MlsError('cipher_suite_mismatch', `the KeyPackage is for cipher suite ${keyPackage.cipherSuite}, the group uses ${cs.id}`);
  }
  if (keyPackage.leafNode.leafNodeSource.type !== 'key_package') {
    throw new MlsError('leaf_source_invalid', `the KeyPackage's LeafNode has leaf_node_source ${keyPackage.leafNode.leafNodeSource.type}`);
  }
  // `signatureValid` is the verdict of a batch verification done ahead (verifyKeyPackageSignatures).
  if (!(signatureValid ?? verifyKeyPackageSignature(cs, keyPackage))) throw new MlsError('key_package_signature_invalid', 'the KeyPackage signature does not verify');
  if (bytesEqual(keyPackage.initKey, keyPackage.leafNode.encryptionKey)) {
    throw new MlsError('key_package_invalid', "the KeyPackage's init_key equals its LeafNode encryption_key");
  }
}
