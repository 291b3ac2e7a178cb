// Malformed input is refused with a typed CryptoError whose code names the problem, identically on
// both providers; never a raw OpenSSL / noble exception.
import { describe, expect, it } from 'vitest';
import { utf8 } from '@weft/codec';
import {
  CryptoError,
  decryptWithLabel,
  deriveTreeSecret,
  encryptWithLabel,
  expandWithLabel,
  getCipherSuite,
  isSuiteSupported,
} from '../src/index.ts';
import type { CipherSuiteId, CryptoErrorCode, ProviderName } from '../src/index.ts';
import { PROVIDER_NAMES, SUITES, flipBit } from './helpers.ts';

function expectCode(fn: () => unknown, code: CryptoErrorCode, message?: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected a CryptoError').toBeInstanceOf(CryptoError);
  const err = thrown as CryptoError;
  expect(err.code, err.message).toBe(code);
  if (message) expect(err.message).toMatch(message);
}

describe('suite registry', () => {
  it.each([4, 5, 6, 7, 0, 8, 0xffff])('suite %i is refused with unsupported_suite', (id) => {
    for (const p of PROVIDER_NAMES) {
      expect(isSuiteSupported(id, p)).toBe(false);
      expectCode(() => getCipherSuite(id as CipherSuiteId, p), 'unsupported_suite', /suite .* not supported/);
    }
  });

  it('an unknown provider is refused', () => {
    expectCode(() => getCipherSuite(1, 'openssl' as ProviderName), 'unsupported_suite', /unknown crypto provider/);
  });

  it('instances are cached per (suite, provider) unless a random source is given', () => {
    expect(getCipherSuite(1)).toBe(getCipherSuite(1, 'node'));
    expect(getCipherSuite(3, 'noble')).toBe(getCipherSuite(3, 'noble'));
    expect(getCipherSuite(1, 'node')).not.toBe(getCipherSuite(1, 'noble'));
    const random = (n: number): Uint8Array => new Uint8Array(n);
    expect(getCipherSuite(1, 'node', { random })).not.toBe(getCipherSuite(1, 'node'));
    for (const id of SUITES) for (const p of PROVIDER_NAMES) expect(isSuiteSupported(id, p)).toBe(true);
  });

  it('a RandomSource that returns the wrong number of bytes is reported', () => {
    const cs = getCipherSuite(1, 'node', { random: () => new Uint8Array(3) });
    expectCode(() => cs.kemGenerateKeyPair(), 'invalid_argument', /RandomSource returned 3 bytes, expected 32/);
  });
});

describe.each(SUITES.flatMap((id) => PROVIDER_NAMES.map((p) => [id, p] as const)))('suite %i on %s rejects malformed input', (id, provider) => {
  const cs = getCipherSuite(id, provider);
  const kp = cs.kemDeriveKeyPair(utf8('recipient'));
  const sig = cs.signatureGenerateKeyPair();
  const info = utf8('info');
  const aad = utf8('aad');
  const pt = utf8('hello weft');
  const sealed = cs.hpkeSeal(kp.publicKey, info, aad, pt);
  const key = new Uint8Array(cs.Nk).fill(7);
  const nonce = new Uint8Array(cs.Nn).fill(9);
  const boxed = cs.aeadSeal(key, nonce, aad, pt);

  it('wrong-length KEM private keys', () => {
    for (const n of [0, cs.Nsk - 1, cs.Nsk + 1, 64]) {
      expectCode(() => cs.kemPublicKey(new Uint8Array(n).fill(1)), 'invalid_key', new RegExp(`must be ${cs.Nsk} bytes, got ${n}`));
      expectCode(() => cs.hpkeOpen(new Uint8Array(n).fill(1), sealed.kemOutput, info, aad, sealed.ciphertext), 'invalid_key');
    }
  });

  it('wrong-length and garbage recipient public keys', () => {
    for (const n of [0, cs.Npk - 1, cs.Npk + 1]) {
      expectCode(() => cs.hpkeSeal(new Uint8Array(n).fill(4), info, aad, pt), 'invalid_key', new RegExp(`must be ${cs.Npk} bytes, got ${n}`));
    }
    expectCode(() => cs.hpkeSeal('not bytes' as unknown as Uint8Array, info, aad, pt), 'invalid_key', /must be a Uint8Array/);
  });

  if (id === 2) {
    it('P-256: out-of-range scalars, compressed and off-curve points', () => {
      expectCode(() => cs.kemPublicKey(new Uint8Array(32)), 'invalid_key', /scalar in \[1, n-1\]/);
      expectCode(() => cs.kemPublicKey(new Uint8Array(32).fill(0xff)), 'invalid_key', /scalar in \[1, n-1\]/);
      expectCode(() => cs.signaturePublicKey(new Uint8Array(32)), 'invalid_key');
      expectCode(() => cs.sign(new Uint8Array(32).fill(0xff), pt), 'invalid_key');
      const offCurve = flipBit(kp.publicKey, 64);
      expectCode(() => cs.hpkeSeal(offCurve, info, aad, pt), 'invalid_key', /not a point on P-256/);
      expectCode(() => cs.verify(flipBit(sig.publicKey, 64), pt, cs.sign(sig.privateKey, pt)), 'invalid_key', /not a point on P-256/);
      const compressed = new Uint8Array(65);
      compressed.set(kp.publicKey);
      compressed[0] = 0x02;
      expectCode(() => cs.hpkeSeal(compressed, info, aad, pt), 'invalid_key', /uncompressed SEC1/);
      expectCode(() => cs.hpkeOpen(kp.privateKey, offCurve, info, aad, sealed.ciphertext), 'decrypt_failed', /kemOutput/);
    });
  } else {
    // Decision: low-order X25519 points (all-zero shared secret, RFC 7748 section 6.1 / RFC 9180
    // section 7.1.4) are rejected. Both OpenSSL and noble detect the all-zero result.
    it('X25519: low-order public keys (all zeros, u = 1) are rejected', () => {
      const zero = new Uint8Array(32);
      const one = new Uint8Array(32);
      one[0] = 1;
      for (const low of [zero, one]) {
        expectCode(() => cs.hpkeSeal(low, info, aad, pt), 'invalid_key', /low-order/);
        expectCode(() => cs.hpkeOpen(kp.privateKey, low, info, aad, sealed.ciphertext), 'decrypt_failed', /kemOutput .*low-order/);
        expectCode(() => encryptWithLabel(cs, low, 'L', info, pt), 'invalid_key');
      }
    });
  }

  it('HPKE open: wrong kemOutput length, truncated ciphertext, flipped tag, wrong info / aad / key', () => {
    expectCode(() => cs.hpkeOpen(kp.privateKey, sealed.kemOutput.subarray(1), info, aad, sealed.ciphertext), 'decrypt_failed', new RegExp(`kemOutput must be ${cs.Npk} bytes, got ${cs.Npk - 1}`));
    expectCode(() => cs.hpkeOpen(kp.privateKey, new Uint8Array(0), info, aad, sealed.ciphertext), 'decrypt_failed');
    expectCode(() => cs.hpkeOpen(kp.privateKey, sealed.kemOutput, info, aad, sealed.ciphertext.subarray(0, 15)), 'decrypt_failed', /truncated/);
    expectCode(() => cs.hpkeOpen(kp.privateKey, sealed.kemOutput, info, aad, new Uint8Array(0)), 'decrypt_failed', /truncated/);
    expectCode(() => cs.hpkeOpen(kp.privateKey, sealed.kemOutput, info, aad, sealed.ciphertext.subarray(1)), 'decrypt_failed', /authentication failed/);
    expectCode(() => cs.hpkeOpen(kp.privateKey, sealed.kemOutput, info, aad, flipBit(sealed.ciphertext, sealed.ciphertext.length - 1)), 'decrypt_failed');
    expectCode(() => cs.hpkeOpen(kp.privateKey, sealed.kemOutput, info, aad, flipBit(sealed.ciphertext, 0)), 'decrypt_failed');
    expectCode(() => cs.hpkeOpen(kp.privateKey, sealed.kemOutput, utf8('other'), aad, sealed.ciphertext), 'decrypt_failed');
    expectCode(() => cs.hpkeOpen(kp.privateKey, sealed.kemOutput, info, utf8('other'), sealed.ciphertext), 'decrypt_failed');
    const other = cs.kemDeriveKeyPair(utf8('someone else'));
    expectCode(() => cs.hpkeOpen(other.privateKey, sealed.kemOutput, info, aad, sealed.ciphertext), 'decrypt_failed');
    if (id !== 2) {
      // A different (non-low-order) kemOutput: the DH succeeds, the tag does not.
      expectCode(() => cs.hpkeOpen(kp.privateKey, flipBit(sealed.kemOutput, 5), info, aad, sealed.ciphertext), 'decrypt_failed');
    }
    expect(new TextDecoder().decode(cs.hpkeOpen(kp.privateKey, sealed.kemOutput, info, aad, sealed.ciphertext))).toBe('hello weft');
  });

  it('DecryptWithLabel with the wrong label fails to decrypt', () => {
    const c = encryptWithLabel(cs, kp.publicKey, 'Welcome', info, pt);
    expectCode(() => decryptWithLabel(cs, kp.privateKey, 'welcome', info, c.kemOutput, c.ciphertext), 'decrypt_failed');
  });

  it('AEAD: bad key / nonce length, truncated ciphertext, flipped tag', () => {
    expectCode(() => cs.aeadSeal(key.subarray(1), nonce, aad, pt), 'invalid_length', new RegExp(`key must be ${cs.Nk} bytes, got ${cs.Nk - 1}`));
    expectCode(() => cs.aeadSeal(key, nonce.subarray(1), aad, pt), 'invalid_length', /nonce must be 12 bytes, got 11/);
    expectCode(() => cs.aeadOpen(key, new Uint8Array(16), aad, boxed), 'invalid_length', /nonce must be 12 bytes/);
    expectCode(() => cs.aeadOpen(key, nonce, aad, boxed.subarray(0, 10)), 'decrypt_failed', /truncated/);
    expectCode(() => cs.aeadOpen(key, nonce, aad, boxed.subarray(0, boxed.length - 1)), 'decrypt_failed', /authentication failed/);
    expectCode(() => cs.aeadOpen(key, nonce, aad, flipBit(boxed, boxed.length - 1, 7)), 'decrypt_failed');
    expectCode(() => cs.aeadOpen(key, nonce, utf8('aae'), boxed), 'decrypt_failed');
    // An empty plaintext is still a valid 16-byte (tag only) ciphertext.
    expect(cs.aeadOpen(key, nonce, aad, cs.aeadSeal(key, nonce, aad, new Uint8Array(0))).length).toBe(0);
  });

  it('KDF: out-of-range lengths', () => {
    const prk = cs.kdfExtract(new Uint8Array(0), utf8('ikm'));
    expectCode(() => cs.kdfExpand(prk, info, 255 * cs.Nh + 1), 'invalid_length', /\[0, 8160\]/);
    expectCode(() => cs.kdfExpand(prk, info, -1), 'invalid_length');
    expectCode(() => cs.kdfExpand(prk, info, 1.5), 'invalid_length');
    expect(cs.kdfExpand(prk, info, 255 * cs.Nh).length).toBe(8160);
    expectCode(() => expandWithLabel(cs, prk, 'L', info, 0x10000), 'invalid_length', /uint16/);
    expectCode(() => deriveTreeSecret(cs, prk, 'L', -1, 16), 'invalid_argument', /uint32/);
    expectCode(() => deriveTreeSecret(cs, prk, 'L', 2 ** 32, 16), 'invalid_argument', /uint32/);
  });

  it('signatures: wrong-length keys throw, bad signatures return false', () => {
    const good = cs.sign(sig.privateKey, pt);
    for (const n of [0, 31, 33, 64]) {
      expectCode(() => cs.sign(new Uint8Array(n).fill(1), pt), 'invalid_key', new RegExp(`got ${n}`));
      expectCode(() => cs.signaturePublicKey(new Uint8Array(n).fill(1)), 'invalid_key');
    }
    for (const n of [0, sig.publicKey.length - 1, sig.publicKey.length + 1]) {
      expectCode(() => cs.verify(new Uint8Array(n).fill(4), pt, good), 'invalid_key', new RegExp(`got ${n}`));
    }
    expect(cs.verify(sig.publicKey, pt, good)).toBe(true);
    expect(cs.verify(sig.publicKey, pt, good.subarray(1))).toBe(false);
    expect(cs.verify(sig.publicKey, pt, new Uint8Array(0))).toBe(false);
    expect(cs.verify(sig.publicKey, pt, new Uint8Array(good.length).fill(0x30))).toBe(false);
    expect(cs.verify(sig.publicKey, pt, flipBit(good, good.length - 1))).toBe(false);
    expect(cs.verify(sig.publicKey, utf8('other'), good)).toBe(false);
  });
});
