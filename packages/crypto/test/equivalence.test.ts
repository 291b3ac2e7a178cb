// Property test: the node and noble providers agree byte for byte on every deterministic
// operation, and each opens / verifies what the other produced. fc.assert prints the seed and the
// shrunk counterexample on failure; re-run with { seed, path } to reproduce.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '@weft/codec';
import {
  CryptoError,
  decryptWithLabel,
  deriveSecret,
  deriveTreeSecret,
  encryptWithLabel,
  expandWithLabel,
  getCipherSuite,
  refHash,
  signWithLabel,
  verifyWithLabel,
} from '../src/index.ts';
import { SUITES, seededRandom } from './helpers.ts';

const bytes = (max: number, min = 0): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: min, maxLength: max });
const fixed = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });
const label = fc.string({ maxLength: 40 });
// noble ECDSA/X25519 are ~1 ms per call; keep the run count moderate per suite.
const RUNS = 40;

describe.each(SUITES)('suite %i: node and noble agree', (id) => {
  const node = getCipherSuite(id, 'node');
  const noble = getCipherSuite(id, 'noble');
  const same = (a: Uint8Array, b: Uint8Array): void => expect(toHex(a)).toBe(toHex(b));

  it('hash, hmac, extract, expand', () => {
    fc.assert(
      fc.property(bytes(300), bytes(100), bytes(100), fc.integer({ min: 0, max: 255 * 32 }), (data, key, info, length) => {
        same(node.hash(data), noble.hash(data));
        same(node.hmac(key, data), noble.hmac(key, data));
        const prk = node.kdfExtract(key, data);
        same(prk, noble.kdfExtract(key, data));
        same(node.kdfExpand(prk, info, length), noble.kdfExpand(prk, info, length));
      }),
      { numRuns: 100 },
    );
  });

  it('AEAD seal / open, both directions', () => {
    fc.assert(
      fc.property(fixed(node.Nk), fixed(node.Nn), bytes(64), bytes(300), (key, nonce, aad, pt) => {
        const a = node.aeadSeal(key, nonce, aad, pt);
        const b = noble.aeadSeal(key, nonce, aad, pt);
        same(a, b);
        same(noble.aeadOpen(key, nonce, aad, a), pt);
        same(node.aeadOpen(key, nonce, aad, b), pt);
      }),
      { numRuns: 100 },
    );
  });

  it('KEM DeriveKeyPair, public key, HPKE seal with injected randomness, cross open', () => {
    fc.assert(
      fc.property(bytes(64), fixed(32), bytes(64), bytes(32), bytes(200), (ikm, seed, info, aad, pt) => {
        const kpNode = node.kemDeriveKeyPair(ikm);
        const kpNoble = noble.kemDeriveKeyPair(ikm);
        same(kpNode.privateKey, kpNoble.privateKey);
        same(kpNode.publicKey, kpNoble.publicKey);
        same(node.kemPublicKey(kpNode.privateKey), kpNode.publicKey);
        same(noble.kemPublicKey(kpNode.privateKey), kpNode.publicKey);

        const nodeR = getCipherSuite(id, 'node', { random: seededRandom(seed) });
        const nobleR = getCipherSuite(id, 'noble', { random: seededRandom(seed) });
        const a = nodeR.hpkeSeal(kpNode.publicKey, info, aad, pt);
        const b = nobleR.hpkeSeal(kpNode.publicKey, info, aad, pt);
        same(a.kemOutput, b.kemOutput);
        same(a.ciphertext, b.ciphertext);
        same(noble.hpkeOpen(kpNode.privateKey, a.kemOutput, info, aad, a.ciphertext), pt);
        same(node.hpkeOpen(kpNode.privateKey, b.kemOutput, info, aad, b.ciphertext), pt);

        // Key generation from the same random stream gives the same keys on both providers.
        const g1 = getCipherSuite(id, 'node', { random: seededRandom(seed) });
        const g2 = getCipherSuite(id, 'noble', { random: seededRandom(seed) });
        const k1 = g1.kemGenerateKeyPair();
        const k2 = g2.kemGenerateKeyPair();
        same(k1.privateKey, k2.privateKey);
        same(k1.publicKey, k2.publicKey);
        const s1 = g1.signatureGenerateKeyPair();
        const s2 = g2.signatureGenerateKeyPair();
        same(s1.privateKey, s2.privateKey);
        same(s1.publicKey, s2.publicKey);
      }),
      { numRuns: RUNS },
    );
  });

  it('signatures: public key, sign (deterministic for Ed25519), cross verify', () => {
    fc.assert(
      fc.property(fixed(32), bytes(300), (seed, msg) => {
        const sk = getCipherSuite(id, 'node', { random: seededRandom(seed) }).signatureGenerateKeyPair().privateKey;
        const pk = node.signaturePublicKey(sk);
        same(noble.signaturePublicKey(sk), pk);
        const a = node.sign(sk, msg);
        const b = noble.sign(sk, msg);
        // Ed25519 is deterministic; ECDSA on OpenSSL uses a random nonce, so only cross-verify.
        if (id !== 2) same(a, b);
        expect(noble.verify(pk, msg, a)).toBe(true);
        expect(node.verify(pk, msg, b)).toBe(true);
        expect(node.verify(pk, msg, a)).toBe(true);
        expect(noble.verify(pk, msg, b)).toBe(true);
        const tampered = msg.length > 0 ? msg.map((x, i) => (i === 0 ? x ^ 1 : x)) : Uint8Array.of(0);
        expect(node.verify(pk, tampered, b)).toBe(false);
        expect(noble.verify(pk, tampered, a)).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it('arbitrary key bytes: same public key, or the same CryptoError code', () => {
    const outcome = (fn: () => Uint8Array | boolean): string => {
      try {
        const r = fn();
        return typeof r === 'boolean' ? String(r) : toHex(r);
      } catch (e) {
        if (!(e instanceof CryptoError)) throw e; // a raw library error is a bug
        return `CryptoError(${e.code})`;
      }
    };
    const keyish = fc.oneof(fixed(32), fixed(node.Npk), bytes(70));
    fc.assert(
      fc.property(keyish, keyish, bytes(80), bytes(40), (a, b, c, msg) => {
        expect(outcome(() => node.kemPublicKey(a))).toBe(outcome(() => noble.kemPublicKey(a)));
        expect(outcome(() => node.signaturePublicKey(a))).toBe(outcome(() => noble.signaturePublicKey(a)));
        expect(outcome(() => node.verify(b, msg, c))).toBe(outcome(() => noble.verify(b, msg, c)));
        expect(outcome(() => node.hpkeOpen(a, b, msg, msg, c))).toBe(outcome(() => noble.hpkeOpen(a, b, msg, msg, c)));
        expect(outcome(() => node.aeadOpen(a.subarray(0, node.Nk), b.subarray(0, node.Nn), msg, c))).toBe(
          outcome(() => noble.aeadOpen(a.subarray(0, node.Nk), b.subarray(0, node.Nn), msg, c)),
        );
      }),
      { numRuns: 150 },
    );
  });

  it('RFC 9420 labelled operations', () => {
    fc.assert(
      fc.property(
        label,
        bytes(100),
        fixed(32),
        bytes(64),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 300 }),
        fixed(32),
        (lbl, value, secret, context, generation, length, seed) => {
          same(refHash(node, lbl, value), refHash(noble, lbl, value));
          same(expandWithLabel(node, secret, lbl, context, length), expandWithLabel(noble, secret, lbl, context, length));
          same(deriveSecret(node, secret, lbl), deriveSecret(noble, secret, lbl));
          same(deriveTreeSecret(node, secret, lbl, generation, length), deriveTreeSecret(noble, secret, lbl, generation, length));

          const sigKeys = getCipherSuite(id, 'noble', { random: seededRandom(seed) }).signatureGenerateKeyPair();
          const sa = signWithLabel(node, sigKeys.privateKey, lbl, value);
          const sb = signWithLabel(noble, sigKeys.privateKey, lbl, value);
          if (id !== 2) same(sa, sb);
          expect(verifyWithLabel(noble, sigKeys.publicKey, lbl, value, sa)).toBe(true);
          expect(verifyWithLabel(node, sigKeys.publicKey, lbl, value, sb)).toBe(true);
          expect(verifyWithLabel(node, sigKeys.publicKey, `${lbl}x`, value, sb)).toBe(false);

          const kp = node.kemDeriveKeyPair(secret);
          const ea = encryptWithLabel(getCipherSuite(id, 'node', { random: seededRandom(seed) }), kp.publicKey, lbl, context, value);
          const eb = encryptWithLabel(getCipherSuite(id, 'noble', { random: seededRandom(seed) }), kp.publicKey, lbl, context, value);
          same(ea.kemOutput, eb.kemOutput);
          same(ea.ciphertext, eb.ciphertext);
          same(decryptWithLabel(noble, kp.privateKey, lbl, context, ea.kemOutput, ea.ciphertext), value);
          same(decryptWithLabel(node, kp.privateKey, lbl, context, eb.kemOutput, eb.ciphertext), value);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
