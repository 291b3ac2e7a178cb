// Seeded randomness for the simulator: a small, well-known non-cryptographic generator (sfc32),
// seeded through splitmix32 and an FNV-1a hash of a stream label. Each consumer (the network, each
// device) gets its own stream derived from (seed, label), so adding a device does not shift the
// draws any other device or the network sees.

import type { RandomSource } from '@weft/crypto';

/** A deterministic stream of numbers. */
export interface SimRandom {
  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** Uniform float in [0, 1). */
  nextFloat(): number;
  /** Uniform integer in [min, max] (inclusive). */
  nextInt(min: number, max: number): number;
  /** Fresh bytes, for a device's RandomSource. */
  nextBytes(length: number): Uint8Array;
}

/** FNV-1a 32-bit hash of a string (labels of streams). */
export function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** splitmix32 step: spreads a seed into well-mixed words for sfc32's state. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) >>> 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** Creates an sfc32 stream for `seed` and a stream label (e.g. "network", "device:a"). */
export function createRandom(seed: number, label = ''): SimRandom {
  const mix = { s: (hashLabel(label) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0 };
  let a = splitmix32(mix);
  let b = splitmix32(mix);
  let c = splitmix32(mix);
  let d = splitmix32(mix);
  const nextUint32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) nextUint32(); // warm up, as sfc32's authors recommend
  return {
    nextUint32,
    nextFloat: () => nextUint32() / 4294967296,
    nextInt: (min, max) => min + Math.floor((nextUint32() / 4294967296) * (max - min + 1)),
    nextBytes: (length) => {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i += 4) {
        const w = nextUint32();
        for (let j = 0; j < 4 && i + j < length; j++) out[i + j] = (w >>> (8 * j)) & 0xff;
      }
      return out;
    },
  };
}

/** A device RandomSource drawn from its own stream of the run's seed. */
export function createDeviceRandom(seed: number, deviceId: string): RandomSource {
  const stream = createRandom(seed, `device:${deviceId}`);
  return (length) => stream.nextBytes(length);
}
