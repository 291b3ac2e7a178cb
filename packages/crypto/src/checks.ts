// Input checks shared by both providers, so that they refuse the same inputs with the same codes.
import { CryptoError, requireLength } from './errors.ts';
import { AEAD_TAG_LENGTH } from './suites.ts';
import type { SuiteParams } from './suites.ts';
import type { SignatureCheck } from './cipherSuite.ts';

/** Throws invalid_length unless `length` is a valid HKDF-Expand output length. */
export function checkExpandLength(length: number, Nh: number): void {
  if (!Number.isInteger(length) || length < 0 || length > 255 * Nh) {
    throw new CryptoError('invalid_length', `HKDF-Expand length must be an integer in [0, ${255 * Nh}], got ${length}`);
  }
}

/** Throws invalid_length unless key and nonce have the suite's AEAD sizes. */
export function checkAeadInputs(params: SuiteParams, key: Uint8Array, nonce: Uint8Array): void {
  requireLength(key, params.Nk, `${params.aead} key`, 'invalid_length');
  requireLength(nonce, params.Nn, `${params.aead} nonce`, 'invalid_length');
}

/** Throws decrypt_failed when a ciphertext cannot even hold the tag. */
export function checkCiphertext(ciphertext: Uint8Array): void {
  if (!(ciphertext instanceof Uint8Array) || ciphertext.length < AEAD_TAG_LENGTH) {
    const got = ciphertext instanceof Uint8Array ? `${ciphertext.length} bytes` : typeof ciphertext;
    throw new CryptoError('decrypt_failed', `AEAD ciphertext is truncated: needs at least the ${AEAD_TAG_LENGTH}-byte tag, got ${got}`);
  }
}

/** Throws invalid_key unless `pk` is a 65-byte uncompressed SEC1 point encoding. */
export function requireUncompressedP256(pk: Uint8Array, what: string): void {
  requireLength(pk, 65, what);
  if (pk[0] !== 0x04) throw new CryptoError('invalid_key', `${what} must be an uncompressed SEC1 point (first byte 0x04), got 0x${(pk[0] ?? 0).toString(16).padStart(2, '0')}`);
}


/** True when a check's fields are byte strings and its key has the encoded size of the scheme (32-byte Ed25519, 65-byte uncompressed P-256). */
export function isWellFormedCheck(check: SignatureCheck, scheme: 'ed25519' | 'p256'): boolean {
  const { publicKey, message, signature } = check;
  if (!(publicKey instanceof Uint8Array) || !(message instanceof Uint8Array) || !(signature instanceof Uint8Array)) return false;
  return scheme === 'ed25519' ? publicKey.length === 32 : publicKey.length === 65 && publicKey[0] === 0x04;
}

/** `verify` over each check in turn, a malformed key or input counting as an invalid signature. */
export function verifyEach(verify: (pk: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean, checks: readonly SignatureCheck[]): boolean[] {
  return checks.map((c) => {
    try {
      return verify(c.publicKey, c.message, c.signature);
    } catch {
      return false;
    }
  });
}
