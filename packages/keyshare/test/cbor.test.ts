// The signing payload cut out of canonical bytes equals the canonical encoding without `sig`;
// decodeCborMap (strict decoding from @weft/dag) names what is wrong with refused bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '@weft/codec';
import * as dagCbor from '@ipld/dag-cbor';
import { decodeCborMap, sliceWithoutKey } from '../src/cbor.ts';
import { KeyshareError } from '../src/errors.ts';
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

describe('decodeCborMap', () => {
  const codeOf = (bytes: Uint8Array): string => {
    try {
      decodeCborMap(bytes, 1000, 'message');
      return 'ok';
    } catch (e) {
      return e instanceof KeyshareError ? e.code : 'other';
    }
  };
  const good = dagCbor.encode({ a: 1, b: new Uint8Array([1, 2, 3]) });

  it('decodes a canonical map into values that do not alias the input', () => {
    const input = good.slice();
    const map = decodeCborMap(input, 1000, 'message');
    input.fill(0);
    expect(map['a']).toBe(1);
    expect(map['b']).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('names what is wrong with refused bytes', () => {
    expect(codeOf(good.subarray(0, good.length - 1))).toBe('truncated');
    expect(codeOf(new Uint8Array([...good, 0]))).toBe('malformed');
    expect(codeOf(dagCbor.encode([1]))).toBe('malformed');
    expect(codeOf(new Uint8Array([0xa1, 0x61, 0x61, 0x18, 0x01]))).toBe('non_canonical'); // {a: 1} with a 1-byte argument
    expect(codeOf(new Uint8Array([0xa2, 0x61, 0x62, 0x01, 0x61, 0x61, 0x01]))).toBe('non_canonical'); // keys out of order
    expect(codeOf(new Uint8Array([0xa1, 0x61, 0x61, 0xc1, 0x00]))).toBe('malformed'); // tag 1
    expect(codeOf(new Uint8Array(1001))).toBe('oversized');
  });
});
