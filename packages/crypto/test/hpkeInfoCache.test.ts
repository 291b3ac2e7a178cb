// The info_hash memo of HPKE seal (hpke.ts): a Welcome seals many recipients under one large info.
// Reusing the hash must never change a result: equal bytes give the uncached answer, and an info
// mutated in place between two seals is hashed afresh.
import { describe, expect, it } from 'vitest';
import { toHex } from '@weft/codec';
import { getCipherSuite } from '../src/index.ts';
import { PROVIDER_NAMES, SUITES, seededRandom } from './helpers.ts';

const EMPTY = new Uint8Array(0);

function bigInfo(size: number, fill: number): Uint8Array {
  const info = new Uint8Array(size);
  for (let i = 0; i < size; i++) info[i] = (i * 31 + fill) & 0xff;
  return info;
}

describe.each(SUITES)('suite %i: large HPKE info', (id) => {
  it.each(PROVIDER_NAMES)('%s: repeated and mutated large infos seal exactly as fresh suites do', (provider) => {
    const recipient = getCipherSuite(id, provider).kemDeriveKeyPair(new Uint8Array(32).fill(7));
    const pt = new Uint8Array(40).fill(1);
    const info = bigInfo(50_000, 3);
    const seed = new Uint8Array(32).fill(9);
    // Reference: every seal on a suite of its own (nothing memoised), same random stream.
    const reference = (infos: Uint8Array[]): string[] => {
      const random = seededRandom(seed);
      return infos.map((i) => {
        const cs = getCipherSuite(id, provider, { random: ((n: number) => random(n)) });
        const out = cs.hpkeSeal(recipient.publicKey, i.slice(), EMPTY, pt);
        return toHex(out.kemOutput) + toHex(out.ciphertext);
      });
    };
    const snapshots = [info.slice(), info.slice()];
    const cs = getCipherSuite(id, provider, { random: seededRandom(seed) });
    const got = [cs.hpkeSeal(recipient.publicKey, info, EMPTY, pt), cs.hpkeSeal(recipient.publicKey, info, EMPTY, pt)];
    info[25_000] = (info[25_000] ?? 0) ^ 1; // mutated in place: must not reuse the old hash
    snapshots.push(info.slice());
    got.push(cs.hpkeSeal(recipient.publicKey, info, EMPTY, pt));
    expect(got.map((o) => toHex(o.kemOutput) + toHex(o.ciphertext))).toEqual(reference(snapshots));
    // And the recipient opens the last one with the mutated info only.
    const last = got[2];
    if (!last) throw new Error('no ciphertext');
    expect(toHex(cs.hpkeOpen(recipient.privateKey, last.kemOutput, info, EMPTY, last.ciphertext))).toBe(toHex(pt));
    expect(() => cs.hpkeOpen(recipient.privateKey, last.kemOutput, snapshots[0] as Uint8Array, EMPTY, last.ciphertext)).toThrow();
  });
});
