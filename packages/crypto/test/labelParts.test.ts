// signWithLabelParts / verifyWithLabelParts: SignWithLabel over content handed in as byte ranges
// must be exactly SignWithLabel over their concatenation (same SignContent bytes), for contents
// whose length needs a 1-, 2- or 4-byte varint header.
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '@weft/codec';
import { getCipherSuite, signWithLabel, signWithLabelParts, verifyWithLabel, verifyWithLabelParts } from '../src/index.ts';
import { PROVIDER_NAMES, SUITES } from './helpers.ts';

function bytes(length: number, fill: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + fill) & 0xff;
  return out;
}

describe.each(SUITES)('suite %i: labelled signatures over content parts', (id) => {
  it.each(PROVIDER_NAMES)('%s: parts sign and verify as their concatenation', (provider) => {
    const cs = getCipherSuite(id, provider);
    const { privateKey, publicKey } = cs.signatureGenerateKeyPair();
    for (const sizes of [[], [0, 0], [10, 20, 30], [40, 30], [9000, 8000, 384]]) {
      const parts = sizes.map((n, i) => bytes(n, i + 1));
      const whole = concatBytes(...parts);
      const fromParts = signWithLabelParts(cs, privateKey, 'FramedContentTBS', parts);
      expect(verifyWithLabel(cs, publicKey, 'FramedContentTBS', whole, fromParts)).toBe(true);
      const fromWhole = signWithLabel(cs, privateKey, 'FramedContentTBS', whole);
      expect(verifyWithLabelParts(cs, publicKey, 'FramedContentTBS', parts, fromWhole)).toBe(true);
      // Ed25519 is deterministic, so the signed bytes must be identical, not just both valid.
      if (id !== 2) expect(toHex(fromParts)).toBe(toHex(fromWhole));
      // Another label, or one changed byte, does not verify.
      expect(verifyWithLabelParts(cs, publicKey, 'LeafNodeTBS', parts, fromWhole)).toBe(false);
      if (whole.length > 0) {
        const changed = parts.map((p) => p.slice());
        const target = changed.find((p) => p.length > 0) as Uint8Array;
        target[0] = (target[0] ?? 0) ^ 1;
        expect(verifyWithLabelParts(cs, publicKey, 'FramedContentTBS', changed, fromWhole)).toBe(false);
      }
    }
  });
});
