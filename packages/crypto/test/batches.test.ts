// verifyBatch and hpkeSealBatch must give exactly the verdicts of verify one by one (malformed keys as false), on both
// providers, for batches small enough to stay on the calling thread and large enough to use the
// node provider's helper threads. hpkeSealBatch must equal hpkeSeal in turn.
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '@weft/codec';
import { getCipherSuite, signWithLabel, stopCryptoWorkers, verifyWithLabel, verifyWithLabelBatch, type SignatureCheck } from '../src/index.ts';
import { PROVIDER_NAMES, SUITES, flipBit, seededRandom } from './helpers.ts';

afterAll(async () => {
  await stopCryptoWorkers();
});

/** A mix of valid, tampered and malformed checks; `n` of them, deterministic. */
function mixedChecks(id: 1 | 2 | 3, n: number): SignatureCheck[] {
  const cs = getCipherSuite(id, 'node', { random: seededRandom(Uint8Array.of(id, n)) });
  const signers = [cs.signatureGenerateKeyPair(), cs.signatureGenerateKeyPair(), cs.signatureGenerateKeyPair()];
  const out: SignatureCheck[] = [];
  for (let i = 0; i < n; i++) {
    const kp = signers[i % signers.length] as (typeof signers)[number];
    const message = Uint8Array.of(i & 0xff, i >> 8, 7, 7, 7);
    const signature = cs.sign(kp.privateKey, message);
    switch (i % 6) {
      case 0:
      case 1:
        out.push({ publicKey: kp.publicKey, message, signature });
        break;
      case 2: // right key, other message
        out.push({ publicKey: kp.publicKey, message: flipBit(message, 0), signature });
        break;
      case 3: // another signer's key
        out.push({ publicKey: (signers[(i + 1) % signers.length] as (typeof signers)[number]).publicKey, message, signature });
        break;
      case 4: // truncated key: malformed, so false rather than an error
        out.push({ publicKey: kp.publicKey.subarray(1), message, signature });
        break;
      default: // garbage signature
        out.push({ publicKey: kp.publicKey, message, signature: flipBit(signature, 5) });
    }
  }
  return out;
}

function oneByOne(id: 1 | 2 | 3, provider: 'node' | 'noble', checks: readonly SignatureCheck[]): boolean[] {
  const cs = getCipherSuite(id, provider);
  return checks.map((c) => {
    try {
      return cs.verify(c.publicKey, c.message, c.signature);
    } catch {
      return false;
    }
  });
}

describe.each(SUITES)('suite %i: verifyBatch', (id) => {
  it.each([5, 40])('node: a batch of %i gives the one-by-one verdicts', (n) => {
    const checks = mixedChecks(id, n);
    const expected = oneByOne(id, 'node', checks);
    expect(expected.filter(Boolean).length).toBe(checks.filter((_, i) => i % 6 < 2).length);
    expect(getCipherSuite(id, 'node').verifyBatch?.(checks)).toEqual(expected);
  });

  it.each([1, 6])('node: startVerifyBatch of %i, finished later, gives the one-by-one verdicts', (n) => {
    const checks = mixedChecks(id, n);
    const pending = getCipherSuite(id, 'node').startVerifyBatch?.(checks);
    expect(pending?.finish()).toEqual(oneByOne(id, 'node', checks));
  });

  it('noble gives the same verdicts as node', () => {
    const checks = mixedChecks(id, 12);
    expect(getCipherSuite(id, 'noble').verifyBatch?.(checks)).toEqual(oneByOne(id, 'node', checks));
  });
});

describe.each(PROVIDER_NAMES)('verifyWithLabelBatch (%s)', (provider) => {
  it('matches verifyWithLabel, also for a suite without verifyBatch', () => {
    const base = getCipherSuite(1, provider);
    const signer = getCipherSuite(1, 'node', { random: seededRandom(Uint8Array.of(9)) }).signatureGenerateKeyPair();
    const content = Uint8Array.of(1, 2, 3);
    const good = signWithLabel(base, signer.privateKey, 'KeyPackageTBS', content);
    const items = [
      { publicKey: signer.publicKey, label: 'KeyPackageTBS', content, signature: good },
      { publicKey: signer.publicKey, label: 'LeafNodeTBS', content, signature: good },
      { publicKey: new Uint8Array(3), label: 'KeyPackageTBS', content, signature: good },
    ];
    const expected = [true, false, false];
    expect(items.slice(0, 2).map((it) => verifyWithLabel(base, it.publicKey, it.label, it.content, it.signature))).toEqual(expected.slice(0, 2));
    expect(verifyWithLabelBatch(base, items)).toEqual(expected);
    const { verifyBatch: _unused, ...withoutBatch } = base;
    expect(verifyWithLabelBatch(withoutBatch, items)).toEqual(expected);
  });
});

describe.each(SUITES)('suite %i: hpkeSealBatch', (id) => {
  it.each(PROVIDER_NAMES)('%s: equals hpkeSeal in turn with the same random stream, for 3 and 40 recipients', (provider) => {
    const base = getCipherSuite(id, provider);
    const keys = Array.from({ length: 40 }, (_, i) => base.kemDeriveKeyPair(new Uint8Array(32).fill(i + 1)));
    const info = Uint8Array.of(1, 2, 3, 4);
    const aad = Uint8Array.of(9);
    for (const n of [3, 40]) {
      const recipients = keys.slice(0, n).map((k, i) => ({ publicKey: k.publicKey, plaintext: Uint8Array.of(i, i, i) }));
      const seed = Uint8Array.of(id, n);
      const one = getCipherSuite(id, provider, { random: seededRandom(seed) });
      const expected = recipients.map((r) => one.hpkeSeal(r.publicKey, info, aad, r.plaintext));
      const batch = getCipherSuite(id, provider, { random: seededRandom(seed) }).hpkeSealBatch?.(recipients, info, aad);
      expect(batch?.map((c) => [toHex(c.kemOutput), toHex(c.ciphertext)])).toEqual(expected.map((c) => [toHex(c.kemOutput), toHex(c.ciphertext)]));
      // And each recipient opens its own.
      batch?.forEach((c, i) => {
        expect(toHex(base.hpkeOpen((keys[i] as (typeof keys)[number]).privateKey, c.kemOutput, info, aad, c.ciphertext))).toBe(toHex(Uint8Array.of(i, i, i)));
      });
    }
  });

  it('node: a malformed recipient key anywhere in a large batch throws invalid_key, like hpkeSeal', () => {
    const cs = getCipherSuite(id, 'node');
    const good = cs.kemDeriveKeyPair(new Uint8Array(32).fill(3)).publicKey;
    const recipients = Array.from({ length: 40 }, (_, i) => ({ publicKey: i === 30 ? good.subarray(1) : good, plaintext: Uint8Array.of(i) }));
    const codeOf = (f: () => unknown): string | null => {
      try {
        f();
        return null;
      } catch (e) {
        return (e as { code?: string }).code ?? 'not a CryptoError';
      }
    };
    expect(codeOf(() => cs.hpkeSeal(good.subarray(1), new Uint8Array(0), new Uint8Array(0), Uint8Array.of(1)))).toBe('invalid_key');
    expect(codeOf(() => cs.hpkeSealBatch?.(recipients, new Uint8Array(0), new Uint8Array(0)))).toBe('invalid_key');
  });
});

describe.each(SUITES)('suite %i: kemDeriveKeyPairBatch', (id) => {
  it.each(PROVIDER_NAMES)('%s: equals kemDeriveKeyPair in turn, for 2 and 12 ikms', (provider) => {
    const cs = getCipherSuite(id, provider);
    for (const n of [2, 12]) {
      const ikms = Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(i * 7 + n));
      const expected = ikms.map((ikm) => cs.kemDeriveKeyPair(ikm));
      const got = cs.kemDeriveKeyPairBatch?.(ikms);
      expect(got?.map((k) => [toHex(k.privateKey), toHex(k.publicKey)])).toEqual(expected.map((k) => [toHex(k.privateKey), toHex(k.publicKey)]));
    }
  });
});
