/** RFC 9420 section 17.1 cipher suite identifiers that Weft knows by name. */
export type CipherSuiteId = 1 | 2 | 3;

/** The crypto backends; both must give byte-identical results for deterministic operations. */
export type ProviderName = 'node' | 'noble';

/** A key pair as raw bytes: HPKE SerializePrivateKey / SerializePublicKey, or a signature seed and public key. */
export interface KeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** Result of HPKE SealBase (RFC 9180 section 6.1, single shot). */
export interface HpkeCiphertext {
  readonly kemOutput: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** One signature to check with `verifyBatch`. */
export interface SignatureCheck {
  readonly publicKey: Uint8Array;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
}

/** One recipient of `hpkeSealBatch`: its HPKE public key and the plaintext for it. */
export interface HpkeRecipient {
  readonly publicKey: Uint8Array;
  readonly plaintext: Uint8Array;
}

/** Verdicts being computed (startVerifyBatch); `finish()` returns them, one per check. */
export interface PendingVerdicts {
  finish(): boolean[];
}

/** Source of randomness; injected so the simulator and tests can run deterministically. */
export type RandomSource = (length: number) => Uint8Array;

/**
 * One MLS cipher suite on one provider. Every operation is synchronous. Key objects are imported
 * once and cached by the provider, so passing the same key bytes repeatedly is cheap.
 */
export interface CipherSuite {
  readonly id: CipherSuiteId;
  readonly name: string;
  readonly provider: ProviderName;
  /** Hash output length. */
  readonly Nh: number;
  /** AEAD key length. */
  readonly Nk: number;
  /** AEAD nonce length. */
  readonly Nn: number;
  /** HPKE KEM private key length (RFC 9180 Nsk). */
  readonly Nsk: number;
  /** HPKE KEM public key / encapsulation length (RFC 9180 Npk / Nenc). */
  readonly Npk: number;

  hash(data: Uint8Array): Uint8Array;
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array;
  kdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  kdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;

  /** AEAD seal; returns ciphertext || tag. */
  aeadSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** AEAD open; throws CryptoError('decrypt_failed') on a bad tag. */
  aeadOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array;

  /** Fresh HPKE KEM key pair from the suite's random source. */
  kemGenerateKeyPair(): KeyPair;
  /** RFC 9180 section 7.1.3 DeriveKeyPair(ikm). */
  kemDeriveKeyPair(ikm: Uint8Array): KeyPair;
  /**
   * kemDeriveKeyPair of each ikm, equal to calling it in turn; the node provider computes the
   * public keys on several threads. Optional like `verifyBatch`.
   */
  kemDeriveKeyPairBatch?(ikms: readonly Uint8Array[]): KeyPair[];
  /** Public key of an HPKE private key; throws CryptoError('invalid_key') on a malformed key. */
  kemPublicKey(privateKey: Uint8Array): Uint8Array;
  /** HPKE base mode single-shot seal (RFC 9180 section 6.1). */
  hpkeSeal(publicKey: Uint8Array, info: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): HpkeCiphertext;
  /**
   * `hpkeSeal` to each recipient under one info and aad, equal to calling it in turn (the same
   * random draws in the same order); the node provider runs the encapsulations on several threads.
   * Throws the error the first failing seal would. Optional like `verifyBatch`.
   */
  hpkeSealBatch?(recipients: readonly HpkeRecipient[], info: Uint8Array, aad: Uint8Array): HpkeCiphertext[];
  /** HPKE base mode single-shot open; throws CryptoError on a bad key or ciphertext. */
  hpkeOpen(privateKey: Uint8Array, kemOutput: Uint8Array, info: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array;

  /** Fresh signature key pair from the suite's random source. */
  signatureGenerateKeyPair(): KeyPair;
  /** Public key of a signature private key. */
  signaturePublicKey(privateKey: Uint8Array): Uint8Array;
  sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array;
  /** False for a wrong signature; throws CryptoError('invalid_key') for a malformed public key. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /**
   * Checks many signatures at once: result[i] is what `verify` gives for item i, except that a
   * malformed public key is false instead of an error. The node provider spreads large batches
   * over worker threads. Optional so that hand-made suites (test wrappers) need not provide it;
   * `verifyWithLabelBatch` falls back to `verify`.
   */
  verifyBatch?(checks: readonly SignatureCheck[]): boolean[];
  /**
   * verifyBatch in two halves, to overlap verification with other work: the node provider hands the
   * checks to a helper thread now (even a single one); `finish()` returns the verdicts (doing any
   * check no helper has taken yet). Optional like `verifyBatch`.
   */
  startVerifyBatch?(checks: readonly SignatureCheck[]): PendingVerdicts;

  randomBytes(length: number): Uint8Array;
}
