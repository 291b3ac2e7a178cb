import type { CipherSuite, KeyPair, ProviderName } from './cipherSuite.ts';
import { CryptoError } from './errors.ts';
import { createHpke, isValidP256Scalar } from './hpke.ts';
import type { Primitives } from './primitives.ts';

/** Assembles the public CipherSuite from one provider's primitives plus the shared HPKE code. */
export function assembleSuite(p: Primitives, provider: ProviderName): CipherSuite {
  const { params } = p;
  const hpke = createHpke(p);

  const generateSignaturePrivateKey = (): Uint8Array => {
    if (params.signature === 'ed25519') return p.randomBytes(params.Nssk);
    // ECDSA: rejection-sample a scalar in [1, n-1]; a miss has probability about 2^-32.
    for (;;) {
      const candidate = p.randomBytes(params.Nssk);
      if (isValidP256Scalar(candidate)) return candidate;
    }
  };

  return {
    id: params.id,
    name: params.name,
    provider,
    Nh: params.Nh,
    Nk: params.Nk,
    Nn: params.Nn,
    Nsk: params.Nsk,
    Npk: params.Npk,
    hash: p.hash,
    hmac: p.hmac,
    kdfExtract: p.kdfExtract,
    kdfExpand: p.kdfExpand,
    aeadSeal: p.aeadSeal,
    aeadOpen: p.aeadOpen,
    kemGenerateKeyPair: (): KeyPair => hpke.deriveKeyPair(p.randomBytes(params.Nsk)),
    kemDeriveKeyPair: hpke.deriveKeyPair,
    kemDeriveKeyPairBatch: hpke.deriveKeyPairBatch,
    kemPublicKey: p.kemPublicKey,
    hpkeSeal: hpke.seal,
    hpkeSealBatch: hpke.sealBatch,
    hpkeOpen: hpke.open,
    signatureGenerateKeyPair: (): KeyPair => {
      const privateKey = generateSignaturePrivateKey();
      return { privateKey, publicKey: p.signaturePublicKey(privateKey) };
    },
    signaturePublicKey: p.signaturePublicKey,
    sign: p.sign,
    verify: p.verify,
    verifyBatch: p.verifyBatch,
    startVerifyBatch: p.startVerifyBatch,
    randomBytes: p.randomBytes,
  };
}

/** Wraps a RandomSource so a short or non-byte answer is caught where it happens. */
export function checkedRandom(source: (length: number) => Uint8Array): (length: number) => Uint8Array {
  return (length: number): Uint8Array => {
    const out = source(length);
    if (!(out instanceof Uint8Array) || out.length !== length) {
      throw new CryptoError('invalid_argument', `RandomSource returned ${out instanceof Uint8Array ? out.length : typeof out} bytes, expected ${length}`);
    }
    return out;
  };
}
