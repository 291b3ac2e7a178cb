// HPKE interop with @hpke/core (an independent RFC 9180 implementation on WebCrypto) and the
// RFC 9180 Appendix A.1.1 test vector.
import { Aes128Gcm, CipherSuite as HpkeSuite, DhkemP256HkdfSha256, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '@weft/codec';
import { getCipherSuite } from '../src/index.ts';
import type { CipherSuiteId } from '../src/index.ts';
import { PROVIDER_NAMES, SUITES, fixedRandom } from './helpers.ts';

function theirSuite(id: CipherSuiteId): HpkeSuite {
  const kem = id === 2 ? new DhkemP256HkdfSha256() : new DhkemX25519HkdfSha256();
  const aead = id === 3 ? new Chacha20Poly1305() : new Aes128Gcm();
  return new HpkeSuite({ kem, kdf: new HkdfSha256(), aead });
}

const u8 = (b: ArrayBuffer): Uint8Array => new Uint8Array(b);

describe.each(SUITES)('suite %i: HPKE interop with @hpke/core', (id) => {
  const theirs = theirSuite(id);
  const info = utf8('weft interop info');
  const aad = utf8('weft aad');
  const pt = utf8('Beauty is truth, truth beauty');
  const ikmR = fromHex('6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037');
  const ikmE = fromHex('7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234');

  it.each(PROVIDER_NAMES)('%s: DeriveKeyPair matches theirs', async (provider) => {
    const ours = getCipherSuite(id, provider).kemDeriveKeyPair(ikmR);
    const kp = await theirs.kem.deriveKeyPair(ikmR);
    expect(toHex(u8(await theirs.kem.serializePrivateKey(kp.privateKey)))).toBe(toHex(ours.privateKey));
    expect(toHex(u8(await theirs.kem.serializePublicKey(kp.publicKey)))).toBe(toHex(ours.publicKey));
  });

  it.each(PROVIDER_NAMES)('%s: ours seals, theirs opens (and same ephemeral gives identical bytes)', async (provider) => {
    const kpR = getCipherSuite(id, provider).kemDeriveKeyPair(ikmR);
    const ours = getCipherSuite(id, provider, { random: fixedRandom(ikmE) }).hpkeSeal(kpR.publicKey, info, aad, pt);
    const recipientKey = await theirs.kem.deserializePrivateKey(kpR.privateKey);
    const opened = await theirs.open({ recipientKey, enc: ours.kemOutput, info }, ours.ciphertext, aad);
    expect(toHex(u8(opened))).toBe(toHex(pt));

    const recipientPublicKey = await theirs.kem.deserializePublicKey(kpR.publicKey);
    const sealed = await theirs.seal({ recipientPublicKey, info, ekm: ikmE }, pt, aad);
    expect(toHex(u8(sealed.enc))).toBe(toHex(ours.kemOutput));
    expect(toHex(u8(sealed.ct))).toBe(toHex(ours.ciphertext));
  });

  it.each(PROVIDER_NAMES)('%s: theirs seals with fresh randomness, ours opens', async (provider) => {
    const cs = getCipherSuite(id, provider);
    const kpR = cs.kemGenerateKeyPair();
    const recipientPublicKey = await theirs.kem.deserializePublicKey(kpR.publicKey);
    for (let i = 0; i < 5; i++) {
      const sealed = await theirs.seal({ recipientPublicKey, info }, pt, aad);
      expect(toHex(cs.hpkeOpen(kpR.privateKey, u8(sealed.enc), info, aad, u8(sealed.ct)))).toBe(toHex(pt));
    }
  });
});

// RFC 9180 Appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, mode 0 (base),
// values from the RFC text; the sequence-number-0 encryption.
const A11 = {
  info: '4f6465206f6e2061204772656369616e2055726e',
  ikmE: '7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234',
  pkEm: '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
  skEm: '52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736',
  ikmR: '6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037',
  pkRm: '3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d',
  skRm: '4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8',
  enc: '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
  key: '4531685d41d65f03dc48f6b8302c05b0',
  baseNonce: '56d890e5accaaf011cff4b7d',
  pt: '4265617574792069732074727574682c20747275746820626561757479',
  aad: '436f756e742d30',
  ct: 'f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a',
};

describe.each(PROVIDER_NAMES)('RFC 9180 A.1.1 (base mode, X25519 / AES-128-GCM) on %s', (provider) => {
  it('DeriveKeyPair gives the RFC key pairs', () => {
    const cs = getCipherSuite(1, provider);
    const e = cs.kemDeriveKeyPair(fromHex(A11.ikmE));
    const r = cs.kemDeriveKeyPair(fromHex(A11.ikmR));
    expect(toHex(e.privateKey)).toBe(A11.skEm);
    expect(toHex(e.publicKey)).toBe(A11.pkEm);
    expect(toHex(r.privateKey)).toBe(A11.skRm);
    expect(toHex(r.publicKey)).toBe(A11.pkRm);
  });

  it('seal with ikmE gives the RFC enc and ciphertext; open recovers the plaintext', () => {
    const cs = getCipherSuite(1, provider, { random: fixedRandom(fromHex(A11.ikmE)) });
    const sealed = cs.hpkeSeal(fromHex(A11.pkRm), fromHex(A11.info), fromHex(A11.aad), fromHex(A11.pt));
    expect(toHex(sealed.kemOutput)).toBe(A11.enc);
    expect(toHex(sealed.ciphertext)).toBe(A11.ct);
    const opened = getCipherSuite(1, provider).hpkeOpen(fromHex(A11.skRm), fromHex(A11.enc), fromHex(A11.info), fromHex(A11.aad), fromHex(A11.ct));
    expect(toHex(opened)).toBe(A11.pt);
  });

  it('the RFC key and base nonce seal the RFC ciphertext (AEAD layer alone)', () => {
    const cs = getCipherSuite(1, provider);
    expect(toHex(cs.aeadSeal(fromHex(A11.key), fromHex(A11.baseNonce), fromHex(A11.aad), fromHex(A11.pt)))).toBe(A11.ct);
  });
});
