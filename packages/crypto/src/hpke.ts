import { concatBytes, utf8 } from '@weft/codec';
import type { HpkeCiphertext, HpkeRecipient, KeyPair } from './cipherSuite.ts';
import { CryptoError, requireLength } from './errors.ts';
import type { Primitives } from './primitives.ts';

/** HPKE base mode, single shot (RFC 9180), composed over one provider's primitives. */
export interface Hpke {
  /** RFC 9180 section 7.1.3 DeriveKeyPair. */
  deriveKeyPair(ikm: Uint8Array): KeyPair;
  /** deriveKeyPair of each ikm; the public keys are computed as one batch. */
  deriveKeyPairBatch(ikms: readonly Uint8Array[]): KeyPair[];
  seal(publicKey: Uint8Array, info: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): HpkeCiphertext;
  /** seal() to each recipient under one info and aad; equal to calling seal() in turn. */
  sealBatch(recipients: readonly HpkeRecipient[], info: Uint8Array, aad: Uint8Array): HpkeCiphertext[];
  open(privateKey: Uint8Array, kemOutput: Uint8Array, info: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array;
}

const EMPTY = new Uint8Array(0);
const MODE_BASE = 0;

// Order n of the P-256 group, big-endian, for the DeriveKeyPair range check (RFC 9180 7.1.3).
const P256_ORDER = Uint8Array.of(
  0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
);

/** Builds HPKE for the suite behind `p`. */
export function createHpke(p: Primitives): Hpke {
  const { params } = p;
  const Nsk = params.Nsk;
  const Npk = params.Npk;
  const Nh = params.Nh;
  const kemSuite = concatBytes(utf8('KEM'), u16(params.kemId));
  const hpkeSuite = concatBytes(utf8('HPKE'), u16(params.kemId), u16(params.kdfId), u16(params.aeadId));
  const version = utf8('HPKE-v1');

  // "HPKE-v1" || suite_id || label, precomputed for every label this module uses.
  const prefix = (suite: Uint8Array, label: string): Uint8Array => concatBytes(version, suite, utf8(label));
  const kemDkpPrk = prefix(kemSuite, 'dkp_prk');
  const kemSk = prefix(kemSuite, 'sk');
  const kemCandidate = prefix(kemSuite, 'candidate');
  const kemEaePrk = prefix(kemSuite, 'eae_prk');
  const kemSharedSecret = prefix(kemSuite, 'shared_secret');
  const hpkeInfoHash = prefix(hpkeSuite, 'info_hash');
  const hpkeSecret = prefix(hpkeSuite, 'secret');
  const hpkeKey = prefix(hpkeSuite, 'key');
  const hpkeBaseNonce = prefix(hpkeSuite, 'base_nonce');

  const labeledExtract = (salt: Uint8Array, labelPrefix: Uint8Array, ikm: Uint8Array): Uint8Array =>
    p.kdfExtract(salt, ikm.length === 0 ? labelPrefix : concatBytes(labelPrefix, ikm));
  // LabeledExpand's info starts with I2OSP(L, 2) || "HPKE-v1" || suite_id || label; every (label, L)
  // pair here is fixed, so that header is built once and only the info is appended per call.
  const expandHeader = (labelPrefix: Uint8Array, length: number): { readonly bytes: Uint8Array; readonly length: number } => ({
    bytes: concatBytes(u16(length), labelPrefix),
    length,
  });
  const labeledExpand = (prk: Uint8Array, header: { readonly bytes: Uint8Array; readonly length: number }, info: Uint8Array): Uint8Array =>
    p.kdfExpand(prk, info.length === 0 ? header.bytes : concatBytes(header.bytes, info), header.length);

  const kemSkHeader = expandHeader(kemSk, Nsk);
  const kemCandidateHeader = expandHeader(kemCandidate, Nsk);
  const kemSharedSecretHeader = expandHeader(kemSharedSecret, Nh);
  const hpkeKeyHeader = expandHeader(hpkeKey, params.Nk);
  const hpkeBaseNonceHeader = expandHeader(hpkeBaseNonce, params.Nn);

  // psk_id_hash is a constant in base mode (psk_id = ""), so compute it once.
  const pskIdHash = labeledExtract(EMPTY, prefix(hpkeSuite, 'psk_id_hash'), EMPTY);

  const derivePrivateKey = (ikm: Uint8Array): Uint8Array => {
    if (!(ikm instanceof Uint8Array)) throw new CryptoError('invalid_argument', 'DeriveKeyPair ikm must be a Uint8Array');
    const dkpPrk = labeledExtract(EMPTY, kemDkpPrk, ikm);
    if (params.kem === 'x25519') return labeledExpand(dkpPrk, kemSkHeader, EMPTY);
    // P-256: rejection sampling with bitmask 0xff (no bits cleared), RFC 9180 section 7.1.3.
    for (let counter = 0; counter <= 255; counter++) {
      const candidate = labeledExpand(dkpPrk, kemCandidateHeader, Uint8Array.of(counter));
      if (isValidP256Scalar(candidate)) return candidate;
    }
    throw new CryptoError('derive_failed', 'DeriveKeyPair found no valid P-256 scalar in 256 candidates');
  };

  const extractAndExpand = (dh: Uint8Array, kemContext: Uint8Array): Uint8Array =>
    labeledExpand(labeledExtract(EMPTY, kemEaePrk, dh), kemSharedSecretHeader, kemContext);

  // An MLS Welcome seals every new member's GroupSecrets under the same info (it holds the
  // encrypted GroupInfo and with it the whole ratchet tree, about 200 bytes per member), and a
  // commit seals each path secret under the same info (the provisional GroupContext). So the
  // info_hash of the last info is kept with a copy of its bytes and reused when the next info is
  // byte-for-byte equal: a compare costs far less than the HMAC it saves. (sealBatch hashes once.)
  let lastInfo: { readonly bytes: Uint8Array; readonly hash: Uint8Array } | null = null;
  const infoHashOf = (info: Uint8Array): Uint8Array => {
    if (lastInfo !== null && sameBytes(lastInfo.bytes, info)) return lastInfo.hash;
    const hash = labeledExtract(EMPTY, hpkeInfoHash, info);
    lastInfo = { bytes: info.slice(), hash };
    return hash;
  };
  const contextOf = (info: Uint8Array): Uint8Array => concatBytes(Uint8Array.of(MODE_BASE), pskIdHash, infoHashOf(info));

  const keySchedule = (sharedSecret: Uint8Array, context: Uint8Array): { key: Uint8Array; nonce: Uint8Array } => {
    const secret = labeledExtract(sharedSecret, hpkeSecret, EMPTY);
    return {
      key: labeledExpand(secret, hpkeKeyHeader, context),
      // Sequence number 0: the nonce is base_nonce itself.
      nonce: labeledExpand(secret, hpkeBaseNonceHeader, context),
    };
  };

  // The part of a seal after the DH: shared secret, key schedule, AEAD.
  const finishSeal = (enc: Uint8Array, shared: Uint8Array, publicKey: Uint8Array, context: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): HpkeCiphertext => {
    const sharedSecret = extractAndExpand(shared, concatBytes(enc, publicKey));
    const { key, nonce } = keySchedule(sharedSecret, context);
    return { kemOutput: enc, ciphertext: p.aeadSeal(key, nonce, aad, plaintext) };
  };

  return {
    deriveKeyPair(ikm: Uint8Array): KeyPair {
      const privateKey = derivePrivateKey(ikm);
      return { privateKey, publicKey: p.kemPublicKey(privateKey) };
    },

    deriveKeyPairBatch(ikms: readonly Uint8Array[]): KeyPair[] {
      const privateKeys = ikms.map(derivePrivateKey);
      const publicKeys = p.kemPublicKeyBatch(privateKeys);
      return privateKeys.map((privateKey, i) => ({ privateKey, publicKey: publicKeys[i] as Uint8Array }));
    },

    seal(publicKey: Uint8Array, info: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): HpkeCiphertext {
      requireLength(publicKey, Npk, 'HPKE recipient public key');
      const skE = derivePrivateKey(p.randomBytes(Nsk));
      const { publicKey: enc, shared } = p.encapDh(skE, publicKey);
      return finishSeal(enc, shared, publicKey, contextOf(info), aad, plaintext);
    },

    sealBatch(recipients: readonly HpkeRecipient[], info: Uint8Array, aad: Uint8Array): HpkeCiphertext[] {
      // Same random draws in the same order as seal() one by one, so the same results; the
      // encapsulations (two scalar multiplications each) run as one batch.
      for (const r of recipients) requireLength(r.publicKey, Npk, 'HPKE recipient public key');
      const pairs = recipients.map((r) => ({ ephemeralPrivateKey: derivePrivateKey(p.randomBytes(Nsk)), recipientPublicKey: r.publicKey }));
      const encaps = p.encapDhBatch(pairs);
      const context = contextOf(info);
      return recipients.map((r, i) => {
        const e = encaps[i] as { publicKey: Uint8Array; shared: Uint8Array };
        return finishSeal(e.publicKey, e.shared, r.publicKey, context, aad, r.plaintext);
      });
    },

    open(privateKey: Uint8Array, kemOutput: Uint8Array, info: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
      // A bad private key is the caller's problem (invalid_key); anything wrong with what the
      // sender produced (kemOutput, ciphertext) is a failed decryption.
      const pkR = p.kemPublicKey(privateKey);
      if (!(kemOutput instanceof Uint8Array) || kemOutput.length !== Npk) {
        throw new CryptoError('decrypt_failed', `HPKE kemOutput must be ${Npk} bytes, got ${describeLength(kemOutput)}`);
      }
      let dh: Uint8Array;
      try {
        dh = p.dh(privateKey, kemOutput);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        throw new CryptoError('decrypt_failed', `HPKE kemOutput is not a usable public key: ${why}`, { cause: e });
      }
      const sharedSecret = extractAndExpand(dh, concatBytes(kemOutput, pkR));
      const { key, nonce } = keySchedule(sharedSecret, contextOf(info));
      return p.aeadOpen(key, nonce, aad, ciphertext);
    },
  };
}

/** True when `scalar` (32 bytes, big-endian) is in [1, n-1] for P-256. */
export function isValidP256Scalar(scalar: Uint8Array): boolean {
  if (scalar.length !== 32) return false;
  let nonZero = false;
  let cmp = 0; // sign of scalar - order, decided by the first differing byte
  for (let i = 0; i < 32; i++) {
    const a = scalar[i] as number;
    const b = P256_ORDER[i] as number;
    if (a !== 0) nonZero = true;
    if (cmp === 0 && a !== b) cmp = a < b ? -1 : 1;
  }
  return nonZero && cmp < 0;
}

// Node's Buffer.compare is a native memcmp: about 15 us for 420 KB where a JS loop takes 0.7-5 ms
// (as long as the hash it would save). Browsers (noble provider) have no Buffer and use the loop.
const nativeCompare = (globalThis as { Buffer?: { compare(a: Uint8Array, b: Uint8Array): number } }).Buffer?.compare;

/** Byte equality of public data (not constant time). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (nativeCompare !== undefined) return nativeCompare(a, b) === 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function u16(n: number): Uint8Array {
  return Uint8Array.of(n >> 8, n & 0xff);
}

function describeLength(x: unknown): string {
  return x instanceof Uint8Array ? `${x.length}` : `a ${typeof x}`;
}
