import type { PendingVerdicts, SignatureCheck } from './cipherSuite.ts';
import type { SuiteParams } from './suites.ts';

/** One ephemeral private key and the recipient public key of an HPKE encapsulation. */
export interface EncapPair {
  readonly ephemeralPrivateKey: Uint8Array;
  readonly recipientPublicKey: Uint8Array;
}

/**
 * What a provider supplies for one suite: the primitives only. HPKE, key generation and the
 * labelled MLS operations are composed on top of these once (hpke.ts, suite.ts, labels.ts), so the
 * two providers cannot drift apart in anything but the primitives themselves.
 *
 * Every function validates its own key inputs and throws CryptoError, never a library error.
 */
export interface Primitives {
  readonly params: SuiteParams;
  hash(data: Uint8Array): Uint8Array;
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array;
  kdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  kdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  aeadSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  aeadOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array;
  /** Serialized KEM public key of a (cached) long-lived KEM private key. */
  kemPublicKey(privateKey: Uint8Array): Uint8Array;
  /** kemPublicKey of each key (the node provider uses helper threads); same results, same errors, in order. */
  kemPublicKeyBatch(privateKeys: readonly Uint8Array[]): Uint8Array[];
  /**
   * DH(sk, pk) where `sk` is a long-lived private key (cached) and `pk` a one-off peer key (not
   * cached). Throws CryptoError('invalid_key') when `pk` is malformed or of low order.
   */
  dh(privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array;
  /**
   * Encap side: for an ephemeral `sk` (not cached) returns its public key and DH(sk, pk), with the
   * recipient key `pk` cached. Throws CryptoError('invalid_key') when `pk` is malformed.
   */
  encapDh(ephemeralPrivateKey: Uint8Array, recipientPublicKey: Uint8Array): { publicKey: Uint8Array; shared: Uint8Array };
  /** encapDh for many pairs at once (the node provider uses helper threads); same results, same errors, in order. */
  encapDhBatch(pairs: readonly EncapPair[]): { publicKey: Uint8Array; shared: Uint8Array }[];
  signaturePublicKey(privateKey: Uint8Array): Uint8Array;
  sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array;
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** Many verifies; a malformed public key is false. Same results as `verify` one by one. */
  verifyBatch(checks: readonly SignatureCheck[]): boolean[];
  /** verifyBatch started now and finished later (see CipherSuite.startVerifyBatch). */
  startVerifyBatch(checks: readonly SignatureCheck[]): PendingVerdicts;
  randomBytes(length: number): Uint8Array;
}
