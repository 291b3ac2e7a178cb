// The `noble` provider: @noble/curves, @noble/hashes and @noble/ciphers. Portable (browsers) and
// the cross-check for the node provider; every deterministic output must match it byte for byte.
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes as nobleRandomBytes } from '@noble/hashes/utils.js';
import type { PendingVerdicts, RandomSource, SignatureCheck } from './cipherSuite.ts';
import { CryptoError, requireLength } from './errors.ts';
import { isValidP256Scalar } from './hpke.ts';
import { KeyCache } from './keyCache.ts';
import { checkAeadInputs, checkCiphertext, checkExpandLength, requireUncompressedP256, verifyEach } from './checks.ts';
import type { EncapPair, Primitives } from './primitives.ts';
import { checkedRandom } from './suite.ts';
import type { SuiteParams } from './suites.ts';

// noble has no import step, but deriving a public key is a scalar multiplication: cache it.
const x25519PublicOf = new KeyCache<Uint8Array>();
const ed25519PublicOf = new KeyCache<Uint8Array>();
const p256PublicOf = new KeyCache<Uint8Array>();

/** Default randomness of the noble provider (crypto.getRandomValues). */
export function nobleRandom(length: number): Uint8Array {
  return nobleRandomBytes(length);
}

/** Primitives for `params` backed by the noble libraries. */
export function createNoblePrimitives(params: SuiteParams, random: RandomSource = nobleRandom): Primitives {
  const Nh = params.Nh;
  const aead = params.aead === 'aes-128-gcm' ? gcm : chacha20poly1305;
  const isX25519 = params.kem === 'x25519';
  const isEd25519 = params.signature === 'ed25519';

  const aeadSeal = (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array => {
    checkAeadInputs(params, key, nonce);
    return aead(key, nonce, aad).encrypt(plaintext);
  };
  const aeadOpen = (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array => {
    checkAeadInputs(params, key, nonce);
    checkCiphertext(ciphertext);
    try {
      return aead(key, nonce, aad).decrypt(ciphertext);
    } catch (e) {
      throw new CryptoError('decrypt_failed', `${params.aead} authentication failed: wrong key, nonce, aad or a modified ciphertext`, { cause: e });
    }
  };

  const p256Private = (sk: Uint8Array, what: string): Uint8Array => {
    requireLength(sk, 32, what);
    if (!isValidP256Scalar(sk)) throw new CryptoError('invalid_key', `${what} must be a big-endian scalar in [1, n-1]`);
    return sk;
  };
  const p256PublicOfKey = (sk: Uint8Array, what: string): Uint8Array =>
    p256PublicOf.getOrLoad(p256Private(sk, what), (b) => p256.getPublicKey(b, false));
  const p256Shared = (sk: Uint8Array, pk: Uint8Array, what: string): Uint8Array => {
    requireUncompressedP256(pk, what);
    try {
      // getSharedSecret returns a compressed point; DHKEM(P-256) uses its x coordinate.
      return p256.getSharedSecret(sk, pk, true).subarray(1);
    } catch (e) {
      throw new CryptoError('invalid_key', `${what} is not a point on P-256`, { cause: e });
    }
  };

  const x25519PublicOfKey = (sk: Uint8Array): Uint8Array => {
    requireLength(sk, params.Nsk, 'X25519 private key');
    return x25519PublicOf.getOrLoad(sk, (b) => x25519.getPublicKey(b));
  };
  const x25519Shared = (sk: Uint8Array, pk: Uint8Array, what: string): Uint8Array => {
    requireLength(pk, params.Npk, what);
    try {
      return x25519.getSharedSecret(sk, pk);
    } catch (e) {
      throw new CryptoError('invalid_key', `${what} is a low-order point (the shared secret would be all zeros)`, { cause: e });
    }
  };

  const sigPublicOf = isEd25519
    ? (sk: Uint8Array): Uint8Array => {
        requireLength(sk, params.Nssk, 'Ed25519 private key');
        return ed25519PublicOf.getOrLoad(sk, (b) => ed25519.getPublicKey(b));
      }
    : (sk: Uint8Array): Uint8Array => p256PublicOfKey(sk, 'ECDSA P-256 private key');

  const verifyEd25519 = (pk: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean => {
    requireLength(pk, 32, 'Ed25519 public key');
    try {
      // zip215: false = RFC 8032 strict decoding, as OpenSSL does.
      return ed25519.verify(signature, message, pk, { zip215: false });
    } catch {
      return false;
    }
  };
  const verifyP256 = (pk: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean => {
    requireUncompressedP256(pk, 'ECDSA P-256 public key');
    try {
      p256.Point.fromBytes(pk).assertValidity();
    } catch (e) {
      throw new CryptoError('invalid_key', 'ECDSA P-256 public key is not a point on P-256', { cause: e });
    }
    try {
      // OpenSSL does not normalise s, so high-s signatures from the node provider must verify.
      return p256.verify(signature, message, pk, { format: 'der', lowS: false });
    } catch {
      return false;
    }
  };

  const kemPublicKey = isX25519
    ? (sk: Uint8Array): Uint8Array => x25519PublicOfKey(sk).slice()
    : (sk: Uint8Array): Uint8Array => p256PublicOfKey(sk, 'P-256 private key').slice();

  const encapDh = isX25519
    ? (skE: Uint8Array, pkR: Uint8Array): { publicKey: Uint8Array; shared: Uint8Array } => {
        requireLength(pkR, params.Npk, 'X25519 recipient public key');
        return { publicKey: x25519.getPublicKey(skE), shared: x25519Shared(skE, pkR, 'X25519 recipient public key') };
      }
    : (skE: Uint8Array, pkR: Uint8Array): { publicKey: Uint8Array; shared: Uint8Array } => {
        requireUncompressedP256(pkR, 'P-256 recipient public key');
        return { publicKey: p256.getPublicKey(skE, false), shared: p256Shared(skE, pkR, 'P-256 recipient public key') };
      };

  return {
    params,
    hash: (data: Uint8Array): Uint8Array => sha256(data),
    hmac: (key: Uint8Array, data: Uint8Array): Uint8Array => hmac(sha256, key, data),
    kdfExtract: (salt: Uint8Array, ikm: Uint8Array): Uint8Array => extract(sha256, ikm, salt),
    kdfExpand: (prk: Uint8Array, info: Uint8Array, length: number): Uint8Array => {
      checkExpandLength(length, Nh);
      if (length === 0) return new Uint8Array(0);
      return expand(sha256, prk, info, length);
    },
    aeadSeal,
    aeadOpen,
    kemPublicKey,
    kemPublicKeyBatch: (privateKeys: readonly Uint8Array[]): Uint8Array[] => privateKeys.map(kemPublicKey),
    dh: isX25519
      ? (sk: Uint8Array, pk: Uint8Array): Uint8Array => {
          x25519PublicOfKey(sk); // validates sk the same way the node provider does
          return x25519Shared(sk, pk, 'X25519 peer public key');
        }
      : (sk: Uint8Array, pk: Uint8Array): Uint8Array => p256Shared(p256Private(sk, 'P-256 private key'), pk, 'P-256 peer public key'),
    encapDh,
    encapDhBatch: (pairs: readonly EncapPair[]): { publicKey: Uint8Array; shared: Uint8Array }[] =>
      pairs.map((pair) => encapDh(pair.ephemeralPrivateKey, pair.recipientPublicKey)),
    signaturePublicKey: (sk: Uint8Array): Uint8Array => sigPublicOf(sk).slice(),
    sign: isEd25519
      ? (sk: Uint8Array, message: Uint8Array): Uint8Array => {
          requireLength(sk, params.Nssk, 'Ed25519 private key');
          return ed25519.sign(message, sk);
        }
      : (sk: Uint8Array, message: Uint8Array): Uint8Array =>
          p256.sign(message, p256Private(sk, 'ECDSA P-256 private key'), { format: 'der' }),
    verify: isEd25519 ? verifyEd25519 : verifyP256,
    verifyBatch: (checks: readonly SignatureCheck[]): boolean[] => verifyEach(isEd25519 ? verifyEd25519 : verifyP256, checks),
    startVerifyBatch: (checks: readonly SignatureCheck[]): PendingVerdicts => {
      const copy = checks.slice();
      return { finish: () => verifyEach(isEd25519 ? verifyEd25519 : verifyP256, copy) };
    },
    randomBytes: checkedRandom(random),
  };
}
