// The signing payload cut out of canonical bytes equals the canonical encoding without `sig`.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '@weft/codec';
import * as dagCbor from '@ipld/dag-cbor';
import { sliceWithoutKey } from '../src/cbor.ts';
import { buildWorld } from './fixture.ts';

const w = buildWorld();

describe('sliceWithoutKey', () => {
  it('matches re-encoding for arbitrary maps of keyshare-like values', () => {
    const value = fc.oneof(
      fc.nat(),
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      fc.integer({ min: -1000, max: -1 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.string({ maxLength: 30 }),
      fc.constant(null),
      fc.boolean(),
      fc.constant(w.group),
      fc.array(fc.record({ cid: fc.constant(w.epoch1), esd: fc.uint8Array({ maxLength: 40 }), g: fc.nat() }), { maxLength: 3 }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== 'sig'), value, { maxKeys: 15 }), fc.uint8Array({ minLength: 1, maxLength: 80 }), (map, sig) => {
        const bytes = dagCbor.encode({ ...map, sig });
        const cut = sliceWithoutKey(bytes, 'sig');
        expect(cut && toHex(cut)).toBe(toHex(dagCbor.encode(map)));
      }),
      { numRuns: 500 },
    );
  });
});
