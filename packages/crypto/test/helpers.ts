import { createHash } from 'node:crypto';
import type { CipherSuiteId, ProviderName, RandomSource } from '../src/index.ts';

export const SUITES: readonly CipherSuiteId[] = [1, 2, 3];
export const PROVIDER_NAMES: readonly ProviderName[] = ['node', 'noble'];

/** Deterministic RandomSource: SHA-256(seed || counter) blocks, so two providers can share a stream. */
export function seededRandom(seed: Uint8Array): RandomSource {
  let counter = 0;
  return (length: number): Uint8Array => {
    const out = new Uint8Array(length);
    for (let offset = 0; offset < length; offset += 32) {
      const block = createHash('sha256').update(seed).update(Uint8Array.of(counter >>> 24, counter >>> 16, counter >>> 8, counter)).digest();
      counter = (counter + 1) >>> 0;
      out.set(block.subarray(0, Math.min(32, length - offset)), offset);
    }
    return out;
  };
}

/** RandomSource that returns `bytes` (exactly) on its first call and fails afterwards. */
export function fixedRandom(bytes: Uint8Array): RandomSource {
  let used = false;
  return (length: number): Uint8Array => {
    if (used || length !== bytes.length) throw new Error(`fixedRandom: unexpected request for ${length} bytes`);
    used = true;
    return bytes.slice();
  };
}

/** Copy of `bytes` with bit `bit` of byte `index` flipped. */
export function flipBit(bytes: Uint8Array, index: number, bit = 0): Uint8Array {
  const out = bytes.slice();
  out[index] = (out[index] ?? 0) ^ (1 << bit);
  return out;
}
