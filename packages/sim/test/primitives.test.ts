// The seeded PRNG and the scheduler: deterministic, independent streams, ordered ties.
import { describe, expect, it } from 'vitest';
import { createDeviceRandom, createRandom, Scheduler } from '../src/index.ts';

describe('random streams', () => {
  it('repeat for one seed and label, differ across labels and seeds', () => {
    const a = createRandom(1, 'network');
    const b = createRandom(1, 'network');
    const xs = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(xs);
    const c = createRandom(1, 'device:a');
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(xs);
    const d = createRandom(2, 'network');
    expect(Array.from({ length: 8 }, () => d.nextUint32())).not.toEqual(xs);
  });
  it('give a device the same bytes whatever other devices exist', () => {
    expect(createDeviceRandom(5, 'a')(40)).toEqual(createDeviceRandom(5, 'a')(40));
    expect(createDeviceRandom(5, 'a')(16)).not.toEqual(createDeviceRandom(5, 'b')(16));
  });
  it('draw integers within bounds and floats in [0, 1)', () => {
    const r = createRandom(9);
    for (let i = 0; i < 1000; i++) {
      const n = r.nextInt(3, 7);
      expect(n >= 3 && n <= 7).toBe(true);
      const f = r.nextFloat();
      expect(f >= 0 && f < 1).toBe(true);
    }
  });
});

describe('scheduler', () => {
  it('runs by time, then by scheduling order, and stops at bounds', async () => {
    const s = new Scheduler();
    const seen: string[] = [];
    s.schedule(10, 'b', () => void seen.push('b'));
    s.schedule(5, 'a', () => void seen.push('a'));
    s.schedule(10, 'c', () => {
      seen.push('c');
      s.schedule(10, 'd', () => void seen.push('d'));
    });
    expect(await s.run({ until: 10, maxTime: 100, maxSteps: 100 })).toBe('until');
    expect(seen).toEqual(['a']);
    expect(await s.run({ maxTime: 100, maxSteps: 100 })).toBe('quiet');
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
    s.schedule(500, 'late', () => undefined);
    expect(await s.run({ maxTime: 100, maxSteps: 100 })).toBe('time_limit');
  });
});
