import { describe, expect, it } from 'vitest';
import { CryptoError } from '../src/errors.ts';
import { KeyCache, setKeyCacheCapacity } from '../src/keyCache.ts';

describe('KeyCache', () => {
  it('loads once per distinct key and evicts the least recently used entry', () => {
    const cache = new KeyCache<number>(2);
    let loads = 0;
    const load = (b: Uint8Array): number => {
      loads++;
      return b[0] ?? -1;
    };
    const a = Uint8Array.of(1, 2);
    const b = Uint8Array.of(2, 3);
    const c = Uint8Array.of(3, 4);
    expect(cache.getOrLoad(a, load)).toBe(1);
    expect(cache.getOrLoad(Uint8Array.of(1, 2), load)).toBe(1);
    expect(loads).toBe(1);
    cache.getOrLoad(b, load);
    cache.getOrLoad(a, load); // a is now the most recent
    cache.getOrLoad(c, load); // evicts b
    expect(cache.size).toBe(2);
    expect(loads).toBe(3);
    cache.getOrLoad(a, load);
    expect(loads).toBe(3);
    cache.getOrLoad(b, load);
    expect(loads).toBe(4);
  });

  it('distinguishes keys that differ only in length or a high byte', () => {
    const cache = new KeyCache<string>(8);
    const keys = [Uint8Array.of(0), Uint8Array.of(0, 0), Uint8Array.of(0xff), Uint8Array.of(0x7f), new Uint8Array(0)];
    keys.forEach((k, i) => cache.getOrLoad(k, () => `v${i}`));
    expect(cache.size).toBe(keys.length);
    keys.forEach((k, i) => expect(cache.getOrLoad(k, () => 'miss')).toBe(`v${i}`));
  });

  it('setKeyCacheCapacity shrinks existing caches, keeping the most recent entries', () => {
    const cache = new KeyCache<number>(10);
    for (let i = 0; i < 10; i++) cache.getOrLoad(Uint8Array.of(i), () => i);
    setKeyCacheCapacity(3);
    expect(cache.size).toBe(3);
    expect(cache.getOrLoad(Uint8Array.of(9), () => -1)).toBe(9);
    expect(cache.getOrLoad(Uint8Array.of(0), () => -1)).toBe(-1);
    expect(() => setKeyCacheCapacity(0)).toThrow(CryptoError);
    setKeyCacheCapacity(1024);
  });
});
