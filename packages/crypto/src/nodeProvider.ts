// The `node` provider: node:crypto (OpenSSL) only, all synchronous.
//
// Key import format, measured on this machine with Node 20 (`pnpm bench crypto`, "key import"
// table; medians on a shared 2-core box):
//   X25519 private: PKCS#8 DER 520-950 us, JWK 60-75 us; public: SPKI DER 130-200 us, JWK 9-13 us.
//   Ed25519 private: PKCS#8 DER 600-900 us, JWK 45-70 us; public: SPKI DER 145-210 us, JWK 8-13 us.
// JWK is 11-25x faster (the DER path goes through OpenSSL's generic decoder framework), so every
// raw key is imported as JWK. For OKP private keys Node derives the public key from `d` and ignores
// `x`, so `x` is passed empty. Imported keys live in bounded LRU caches (keyCache.ts).
import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hash as nodeHash,
  randomBytes as nodeRandomBytes,
  randomFillSync,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import type { CipherChaCha20Poly1305, CipherGCM, DecipherChaCha20Poly1305, DecipherGCM, ECDH, KeyObject } from 'node:crypto';
import type { PendingVerdicts, RandomSource, SignatureCheck } from './cipherSuite.ts';
import { checkAeadInputs, checkCiphertext, checkExpandLength, isWellFormedCheck, requireUncompressedP256, verifyEach } from './checks.ts';
import { CryptoError, requireLength } from './errors.ts';
import { KeyCache } from './keyCache.ts';
import type { EncapPair, Primitives } from './primitives.ts';
import { checkedRandom } from './suite.ts';
import { AEAD_TAG_LENGTH } from './suites.ts';
import { runInParallel, startInParallel } from './workerPool.ts';
import type { SuiteParams } from './suites.ts';

interface PrivateEntry {
  readonly key: KeyObject;
  readonly publicKey: Uint8Array;
}

interface EcdhEntry {
  readonly ecdh: ECDH;
  readonly publicKey: Uint8Array;
}

// Shared by all suites of this provider: suites 1 and 3 use the same X25519 / Ed25519 keys.
const x25519Private = new KeyCache<PrivateEntry>();
const x25519Public = new KeyCache<KeyObject>();
const ed25519Private = new KeyCache<PrivateEntry>();
const ed25519Public = new KeyCache<KeyObject>();
const p256KemPrivate = new KeyCache<EcdhEntry>();
const p256SigPrivate = new KeyCache<PrivateEntry>();
const p256SigPublic = new KeyCache<KeyObject>();

/** Drops every cached key object of the node provider (tests, memory pressure). */
export function clearNodeKeyCaches(): void {
  for (const c of [x25519Private, x25519Public, ed25519Private, ed25519Public, p256KemPrivate, p256SigPrivate, p256SigPublic]) {
    c.clear();
  }
}

// Small requests (a message's 4-byte reuse_guard) are served from a pool filled by one CSPRNG
// call: a call costs about 5 us whatever the size. Only requests of at most POOLED_MAX bytes are
// pooled, so no key material ever comes from it, and served bytes are zeroed in the pool.
const POOL_SIZE = 512;
const POOLED_MAX = 8;
const pool = new Uint8Array(POOL_SIZE);
let poolOffset = POOL_SIZE;

// HKDF-Expand's block counter for the first (usually only) block.
const COUNTER_ONE = Uint8Array.of(1);

/** Default randomness of the node provider: OpenSSL's CSPRNG. */
export function nodeRandom(length: number): Uint8Array {
  if (length > POOLED_MAX || !Number.isInteger(length) || length < 0) return view(nodeRandomBytes(length));
  if (poolOffset + length > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = pool.slice(poolOffset, poolOffset + length);
  pool.fill(0, poolOffset, poolOffset + length);
  poolOffset += length;
  return out;
}

/** Primitives for `params` backed by node:crypto. */
export function createNodePrimitives(params: SuiteParams, random: RandomSource = nodeRandom): Primitives {
  const hashAlg = 'sha256';
  const Nh = params.Nh;
  const aeadAlg = params.aead;
  const isX25519 = params.kem === 'x25519';
  const isEd25519 = params.signature === 'ed25519';

  const hmac = (key: Uint8Array, data: Uint8Array): Uint8Array => view(createHmac(hashAlg, key).update(data).digest());

  const kdfExpand = (prk: Uint8Array, info: Uint8Array, length: number): Uint8Array => {
    checkExpandLength(length, Nh);
    // RFC 5869 section 2.3: T(i) = HMAC(PRK, T(i-1) || info || i).
    const first = createHmac(hashAlg, prk).update(info).update(COUNTER_ONE).digest();
    if (length <= Nh) return view(first).subarray(0, length);
    const out = new Uint8Array(length);
    out.set(first);
    let prev: Uint8Array = first;
    for (let i = 2, offset = Nh; offset < length; i++, offset += Nh) {
      prev = createHmac(hashAlg, prk).update(prev).update(info).update(Uint8Array.of(i)).digest();
      out.set(prev.subarray(0, Math.min(Nh, length - offset)), offset);
    }
    return out;
  };

  // Two literal branches because node's typings pick the GCM / ChaCha overloads by literal name.
  const tagOpts = { authTagLength: AEAD_TAG_LENGTH };
  const newCipher = (key: Uint8Array, nonce: Uint8Array): CipherGCM | CipherChaCha20Poly1305 =>
    aeadAlg === 'aes-128-gcm' ? createCipheriv('aes-128-gcm', key, nonce, tagOpts) : createCipheriv('chacha20-poly1305', key, nonce, tagOpts);
  const newDecipher = (key: Uint8Array, nonce: Uint8Array): DecipherGCM | DecipherChaCha20Poly1305 =>
    aeadAlg === 'aes-128-gcm'
      ? createDecipheriv('aes-128-gcm', key, nonce, tagOpts)
      : createDecipheriv('chacha20-poly1305', key, nonce, tagOpts);

  const aeadSeal = (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array => {
    checkAeadInputs(params, key, nonce);
    const c = newCipher(key, nonce);
    c.setAAD(aad, { plaintextLength: plaintext.length });
    const body = c.update(plaintext);
    const tail = c.final();
    const tag = c.getAuthTag();
    const out = new Uint8Array(body.length + tail.length + AEAD_TAG_LENGTH);
    out.set(body);
    if (tail.length > 0) out.set(tail, body.length);
    out.set(tag, body.length + tail.length);
    return out;
  };

  const aeadOpen = (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array => {
    checkAeadInputs(params, key, nonce);
    checkCiphertext(ciphertext);
    const bodyLength = ciphertext.length - AEAD_TAG_LENGTH;
    try {
      const d = newDecipher(key, nonce);
      d.setAuthTag(ciphertext.subarray(bodyLength));
      d.setAAD(aad, { plaintextLength: bodyLength });
      const body = d.update(ciphertext.subarray(0, bodyLength));
      const tail = d.final();
      if (tail.length === 0) return view(body);
      const out = new Uint8Array(body.length + tail.length);
      out.set(body);
      out.set(tail, body.length);
      return out;
    } catch (e) {
      throw new CryptoError('decrypt_failed', `${aeadAlg} authentication failed: wrong key, nonce, aad or a modified ciphertext`, { cause: e });
    }
  };

  // --- KEM ---
  const x25519PrivateEntry = (sk: Uint8Array): PrivateEntry => {
    requireLength(sk, params.Nsk, 'X25519 private key');
    return x25519Private.getOrLoad(sk, importX25519Private);
  };
  const x25519PublicKeyObject = (pk: Uint8Array, what: string): KeyObject => {
    requireLength(pk, params.Npk, what);
    return importOkpPublic('X25519', pk, what);
  };
  const x25519Derive = (privateKey: KeyObject, publicKey: KeyObject): Uint8Array => {
    try {
      return view(diffieHellman({ privateKey, publicKey }));
    } catch (e) {
      // OpenSSL refuses an all-zero shared secret, i.e. a low-order peer point (RFC 7748 section 6.1).
      throw new CryptoError('invalid_key', 'X25519 public key is a low-order point (the shared secret would be all zeros)', { cause: e });
    }
  };

  const p256KemEntry = (sk: Uint8Array): EcdhEntry => {
    requireLength(sk, params.Nsk, 'P-256 private key');
    return p256KemPrivate.getOrLoad(sk, importP256Ecdh);
  };
  const p256Compute = (ecdh: ECDH, pk: Uint8Array, what: string): Uint8Array => {
    requireUncompressedP256(pk, what);
    try {
      return view(ecdh.computeSecret(pk));
    } catch (e) {
      throw new CryptoError('invalid_key', `${what} is not a point on P-256`, { cause: e });
    }
  };

  const kemPublicKey = isX25519
    ? (sk: Uint8Array): Uint8Array => x25519PrivateEntry(sk).publicKey.slice()
    : (sk: Uint8Array): Uint8Array => p256KemEntry(sk).publicKey.slice();

  const dh = isX25519
    ? (sk: Uint8Array, pk: Uint8Array): Uint8Array =>
        x25519Derive(x25519PrivateEntry(sk).key, x25519PublicKeyObject(pk, 'X25519 peer public key'))
    : (sk: Uint8Array, pk: Uint8Array): Uint8Array => p256Compute(p256KemEntry(sk).ecdh, pk, 'P-256 peer public key');

  const encapDh = isX25519
    ? (skE: Uint8Array, pkR: Uint8Array): { publicKey: Uint8Array; shared: Uint8Array } => {
        requireLength(pkR, params.Npk, 'X25519 recipient public key');
        const recipient = x25519Public.getOrLoad(pkR, (b) => importOkpPublic('X25519', b, 'X25519 recipient public key'));
        const eph = importX25519Private(skE); // ephemeral: deliberately not cached
        return { publicKey: eph.publicKey, shared: x25519Derive(eph.key, recipient) };
      }
    : (skE: Uint8Array, pkR: Uint8Array): { publicKey: Uint8Array; shared: Uint8Array } => {
        const eph = importP256Ecdh(skE);
        return { publicKey: eph.publicKey, shared: p256Compute(eph.ecdh, pkR, 'P-256 recipient public key') };
      };

  // --- signatures ---
  const sigPrivate = isEd25519
    ? (sk: Uint8Array): PrivateEntry => {
        requireLength(sk, params.Nssk, 'Ed25519 private key');
        return ed25519Private.getOrLoad(sk, importEd25519Private);
      }
    : (sk: Uint8Array): PrivateEntry => {
        requireLength(sk, params.Nssk, 'ECDSA P-256 private key');
        return p256SigPrivate.getOrLoad(sk, importP256SigPrivate);
      };
  const sigPublic = isEd25519
    ? (pk: Uint8Array): KeyObject => {
        requireLength(pk, 32, 'Ed25519 public key');
        return ed25519Public.getOrLoad(pk, (b) => importOkpPublic('Ed25519', b, 'Ed25519 public key'));
      }
    : (pk: Uint8Array): KeyObject => {
        requireUncompressedP256(pk, 'ECDSA P-256 public key');
        return p256SigPublic.getOrLoad(pk, importP256SigPublic);
      };
  // Ed25519 signs the message itself (algorithm null); ECDSA hashes with SHA-256 and emits DER.
  const digest = isEd25519 ? null : hashAlg;
  const verify = (pk: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean => {
    const key = sigPublic(pk);
    try {
      return nodeVerify(digest, message, key, signature);
    } catch {
      return false; // e.g. a signature that is not valid DER
    }
  };
  const verifyOne = (c: SignatureCheck): boolean => verifyEach(verify, [c])[0] === true;
  // Malformed inputs are answered here, so the helper threads only see what verify would accept.
  const startVerify = (checks: readonly SignatureCheck[], minJobs: number): PendingVerdicts => {
    const scheme = isEd25519 ? 'ed25519' : 'p256';
    const wellFormed = checks.map((c) => isWellFormedCheck(c, scheme));
    const jobs = checks.filter((_, i) => wellFormed[i]);
    const run = startInParallel(
      isEd25519 ? 'verify-ed25519' : 'verify-p256',
      jobs.length,
      (j) => {
        const c = jobs[j] as SignatureCheck;
        return [c.publicKey, c.message, c.signature];
      },
      1,
      (j, slot) => {
        slot[0] = verifyOne(jobs[j] as SignatureCheck) ? 1 : 0;
      },
      minJobs,
    );
    return {
      finish: (): boolean[] => {
        const out = run.finish();
        let k = 0;
        return wellFormed.map((ok) => (ok ? out[k++]?.[0] === 1 : false));
      },
    };
  };

  return {
    params,
    // One-shot hash (no Hash object, no stream): measured about twice as fast for the short inputs
    // MLS hashes (tree hash and parent hash inputs, transcript hashes).
    hash: (data: Uint8Array): Uint8Array => view(nodeHash(hashAlg, data, 'buffer')),
    hmac,
    kdfExtract: (salt: Uint8Array, ikm: Uint8Array): Uint8Array => hmac(salt, ikm),
    kdfExpand,
    aeadSeal,
    aeadOpen,
    kemPublicKey,
    kemPublicKeyBatch: (privateKeys: readonly Uint8Array[]): Uint8Array[] => {
      // Keys are checked here first, so the helpers only see well-formed ones.
      for (const sk of privateKeys) requireLength(sk, params.Nsk, isX25519 ? 'X25519 private key' : 'P-256 private key');
      return runInParallel(
        isX25519 ? 'public-x25519' : 'public-p256',
        privateKeys.length,
        (j) => [privateKeys[j] as Uint8Array],
        params.Npk,
        (j, slot) => slot.set(kemPublicKey(privateKeys[j] as Uint8Array)),
        // Measured: handing a commit's path (log N keys) to helper threads gained no wall time and
        // cost about 45% more CPU, so only large batches are shared.
        32,
      );
    },
    dh,
    encapDh,
    encapDhBatch: (pairs: readonly EncapPair[]): { publicKey: Uint8Array; shared: Uint8Array }[] => {
      // Recipient keys are checked here first, so the helpers only see well-formed ones (a bad one
      // throws the usual CryptoError from encapDh, in order).
      for (const pair of pairs) {
        if (isX25519) requireLength(pair.recipientPublicKey, params.Npk, 'X25519 recipient public key');
        else requireUncompressedP256(pair.recipientPublicKey, 'P-256 recipient public key');
      }
      const Npk = params.Npk;
      const out = runInParallel(
        isX25519 ? 'encap-x25519' : 'encap-p256',
        pairs.length,
        (j) => {
          const pair = pairs[j] as EncapPair;
          return [pair.ephemeralPrivateKey, pair.recipientPublicKey];
        },
        Npk + Nh,
        (j, slot) => {
          const pair = pairs[j] as EncapPair;
          const r = encapDh(pair.ephemeralPrivateKey, pair.recipientPublicKey);
          slot.set(r.publicKey, 0);
          slot.set(r.shared, Npk);
        },
        // As above: a commit's path seals (log N of them) stay on the calling thread.
        32,
      );
      return out.map((o) => ({ publicKey: o.subarray(0, Npk), shared: o.subarray(Npk) }));
    },
    // Copies, so a caller that mutates the result cannot corrupt the cached entry.
    signaturePublicKey: (sk: Uint8Array): Uint8Array => sigPrivate(sk).publicKey.slice(),
    sign: (sk: Uint8Array, message: Uint8Array): Uint8Array => view(nodeSign(digest, message, sigPrivate(sk).key)),
    verify,
    verifyBatch: (checks: readonly SignatureCheck[]): boolean[] => startVerify(checks, 32).finish(),
    // A single early check (processCommit's leaf signature) is not worth a hand-over either.
    startVerifyBatch: (checks: readonly SignatureCheck[]): PendingVerdicts => startVerify(checks, 32),
    randomBytes: checkedRandom(random),
  };
}

// --- key import (JWK, see the measurement at the top) ---

function importX25519Private(sk: Uint8Array): PrivateEntry {
  return importOkpPrivate('X25519', sk);
}

function importEd25519Private(sk: Uint8Array): PrivateEntry {
  return importOkpPrivate('Ed25519', sk);
}

function importOkpPrivate(crv: 'X25519' | 'Ed25519', sk: Uint8Array): PrivateEntry {
  try {
    const key = createPrivateKey({ key: { kty: 'OKP', crv, d: b64url(sk), x: '' }, format: 'jwk' });
    // The private key's own JWK carries the public key OpenSSL derived on import: no public
    // KeyObject needs to be made for it.
    const x = key.export({ format: 'jwk' }).x;
    if (typeof x !== 'string') throw new Error('no public key in JWK export');
    return { key, publicKey: fromB64url(x) };
  } catch (e) {
    throw new CryptoError('invalid_key', `${crv} private key was rejected by OpenSSL: ${errorText(e)}`, { cause: e });
  }
}

function importOkpPublic(crv: 'X25519' | 'Ed25519', pk: Uint8Array, what: string): KeyObject {
  try {
    return createPublicKey({ key: { kty: 'OKP', crv, x: b64url(pk) }, format: 'jwk' });
  } catch (e) {
    throw new CryptoError('invalid_key', `${what} was rejected by OpenSSL: ${errorText(e)}`, { cause: e });
  }
}

function importP256Ecdh(sk: Uint8Array): EcdhEntry {
  const ecdh = createECDH('prime256v1');
  try {
    ecdh.setPrivateKey(sk);
  } catch (e) {
    throw new CryptoError('invalid_key', 'P-256 private key must be a big-endian scalar in [1, n-1]', { cause: e });
  }
  return { ecdh, publicKey: view(ecdh.getPublicKey()) };
}

function importP256SigPrivate(sk: Uint8Array): PrivateEntry {
  const { publicKey } = importP256Ecdh(sk);
  try {
    const key = createPrivateKey({
      key: { kty: 'EC', crv: 'P-256', d: b64url(sk), x: b64url(publicKey.subarray(1, 33)), y: b64url(publicKey.subarray(33)) },
      format: 'jwk',
    });
    return { key, publicKey };
  } catch (e) {
    throw new CryptoError('invalid_key', `ECDSA P-256 private key was rejected by OpenSSL: ${errorText(e)}`, { cause: e });
  }
}

function importP256SigPublic(pk: Uint8Array): KeyObject {
  try {
    return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64url(pk.subarray(1, 33)), y: b64url(pk.subarray(33)) }, format: 'jwk' });
  } catch (e) {
    throw new CryptoError('invalid_key', 'ECDSA P-256 public key is not a point on P-256', { cause: e });
  }
}

// --- helpers ---

// A Uint8Array view of a Buffer: callers get plain Uint8Array semantics (slice copies) at no copy cost.
function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

// Copied out of Buffer's shared pool so the cached key does not pin (or expose) pool memory.
function fromB64url(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64url'));
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
