// The official MLS crypto-basics vectors (vectors/mls/crypto-basics.json), suites 1-3, both providers.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '@weft/codec';
import {
  decryptWithLabel,
  deriveSecret,
  deriveTreeSecret,
  expandWithLabel,
  getCipherSuite,
  isSuiteSupported,
  refHash,
  signWithLabel,
  verifyWithLabel,
} from '../src/index.ts';
import type { CipherSuiteId } from '../src/index.ts';
import { PROVIDER_NAMES } from './helpers.ts';

interface Case {
  cipher_suite: number;
  ref_hash: { label: string; value: string; out: string };
  expand_with_label: { secret: string; label: string; context: string; length: number; out: string };
  derive_secret: { secret: string; label: string; out: string };
  derive_tree_secret: { secret: string; label: string; generation: number; length: number; out: string };
  sign_with_label: { priv: string; pub: string; content: string; label: string; signature: string };
  encrypt_with_label: { priv: string; pub: string; label: string; context: string; plaintext: string; kem_output: string; ciphertext: string };
}

const cases = JSON.parse(readFileSync(new URL('../../../vectors/mls/crypto-basics.json', import.meta.url), 'utf8')) as Case[];
const supported = cases.filter((c) => isSuiteSupported(c.cipher_suite, 'node'));

describe.each(PROVIDER_NAMES)('crypto-basics.json on %s', (provider) => {
  it('covers suites 1, 2 and 3', () => expect(supported.map((c) => c.cipher_suite)).toEqual([1, 2, 3]));

  it.each(supported.map((c) => [c.cipher_suite, c] as const))('suite %i', (_id, tc) => {
    const cs = getCipherSuite(tc.cipher_suite as CipherSuiteId, provider);
    expect(toHex(refHash(cs, tc.ref_hash.label, fromHex(tc.ref_hash.value)))).toBe(tc.ref_hash.out);
    const e = tc.expand_with_label;
    expect(toHex(expandWithLabel(cs, fromHex(e.secret), e.label, fromHex(e.context), e.length))).toBe(e.out);
    expect(toHex(deriveSecret(cs, fromHex(tc.derive_secret.secret), tc.derive_secret.label))).toBe(tc.derive_secret.out);
    const t = tc.derive_tree_secret;
    expect(toHex(deriveTreeSecret(cs, fromHex(t.secret), t.label, t.generation, t.length))).toBe(t.out);
    const s = tc.sign_with_label;
    expect(toHex(cs.signaturePublicKey(fromHex(s.priv)))).toBe(s.pub);
    expect(verifyWithLabel(cs, fromHex(s.pub), s.label, fromHex(s.content), fromHex(s.signature))).toBe(true);
    const again = signWithLabel(cs, fromHex(s.priv), s.label, fromHex(s.content));
    expect(verifyWithLabel(cs, fromHex(s.pub), s.label, fromHex(s.content), again)).toBe(true);
    if (tc.cipher_suite !== 2) expect(toHex(again)).toBe(s.signature); // Ed25519 is deterministic
    const x = tc.encrypt_with_label;
    expect(toHex(cs.kemPublicKey(fromHex(x.priv)))).toBe(x.pub);
    expect(toHex(decryptWithLabel(cs, fromHex(x.priv), x.label, fromHex(x.context), fromHex(x.kem_output), fromHex(x.ciphertext)))).toBe(x.plaintext);
  });
});
