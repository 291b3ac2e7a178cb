// Token buckets, the replay cache bound and pruning, and the sharded map under them.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { answerRequest, createShardedMap, entriesOfSharded, filterSharded, getSharded, pruneAnswererState, setSharded, takeToken } from '../src/index.ts';
import { answererDeps, buildWorld, freshAnswerer, freshRequester, requesterDeps } from './fixture.ts';
import { requestKeys } from '../src/index.ts';

const w = buildWorld();

describe('token bucket', () => {
  it('starts full, spends one token per call, refills with passed-in time and never above capacity', () => {
    const limit = { capacity: 2, perSecond: 0.5 };
    const a = takeToken(null, limit, 0);
    const b = takeToken(a, limit, 0);
    expect([a?.tokens, b?.tokens]).toEqual([1, 0]);
    expect(takeToken(b, limit, 1999)).toBeNull();
    expect(takeToken(b, limit, 2000)?.tokens).toBe(0);
    expect(takeToken(b, limit, 1_000_000)?.tokens).toBe(1);
    // time going backwards refills nothing
    expect(takeToken(b, limit, -5000)).toBeNull();
  });
});

describe('replay cache', () => {
  it('is bounded by maxRemembered (further requests are rate limited, not forgotten) and pruned after expiry', () => {
    const deps = answererDeps(w, w.c, { policy: { maxRemembered: 1 } });
    const req = (seed: number) => {
      const e = requestKeys(requesterDeps(w, w.d, { seed }), freshRequester(), { group: w.group, epoch: w.epoch1, sender: 0, wanted: { kind: 'range', from: 0, to: 0 }, candidates: [w.c.key] }, 0).effects[0];
      if (!e) throw new Error('nothing sent');
      return e.bytes;
    };
    const first = answerRequest(deps, freshAnswerer(), req(1), 0);
    expect(first.kind).toBe('answered');
    const second = answerRequest(deps, first.state, req(2), 0);
    expect(second.kind === 'withheld' && second.reason).toBe('rate_limited');
    const pruned = pruneAnswererState(first.state, 3600_001);
    expect(pruned.seen.size).toBe(0);
    expect(pruneAnswererState(first.state, 10)).toBe(first.state);
  });
});

describe('sharded map', () => {
  it('behaves as a Map, and never changes a map it was given', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ maxLength: 6 }), fc.integer())), fc.integer(), (ops, cut) => {
        let m = createShardedMap<number>();
        const model = new Map<string, number>();
        for (const [k, v] of ops) {
          const before = m;
          const beforeSize = before.size;
          m = setSharded(m, k, v);
          model.set(k, v);
          expect(before.size).toBe(beforeSize);
        }
        expect(m.size).toBe(model.size);
        for (const [k, v] of model) expect(getSharded(m, k)).toBe(v);
        const kept = filterSharded(m, (v) => v >= cut);
        expect(new Map(entriesOfSharded(kept))).toEqual(new Map([...model].filter(([, v]) => v >= cut)));
        expect(m.size).toBe(model.size);
      }),
      { numRuns: 200 },
    );
  });
});
