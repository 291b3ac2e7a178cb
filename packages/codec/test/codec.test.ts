import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CodecError, Reader, Writer, decode, decodeVarint, encode, encodeOpaque, encodeVarint, fromHex, toHex, MAX_VARINT } from '../src/index.ts';

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof CodecError) return err.code;
    throw err;
  }
  return 'no error';
}

describe('varint (RFC 9420 section 2.1.2)', () => {
  it('round-trips every value with the minimal header size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_VARINT }), (n) => {
        const enc = encodeVarint(n);
        expect(enc.length).toBe(n < 64 ? 1 : n < 16384 ? 2 : 4);
        expect(decodeVarint(enc)).toEqual({ value: n, size: enc.length });
      }),
    );
  });

  it('rejects the reserved 0b11 prefix', () => {
    expect(codeOf(() => decodeVarint(fromHex('c0000000')))).toBe('invalid_varint');
  });

  it('rejects non-minimal encodings', () => {
    expect(codeOf(() => decodeVarint(fromHex('4001')))).toBe('non_minimal_varint');
    expect(codeOf(() => decodeVarint(fromHex('80000001')))).toBe('non_minimal_varint');
    expect(codeOf(() => decodeVarint(fromHex('80003fff')))).toBe('non_minimal_varint');
  });

  it('rejects truncated headers', () => {
    expect(codeOf(() => decodeVarint(fromHex('40')))).toBe('truncated');
    expect(codeOf(() => decodeVarint(fromHex('800040')))).toBe('truncated');
    expect(codeOf(() => decodeVarint(new Uint8Array(0)))).toBe('truncated');
  });

  it('refuses to encode values outside 0..2^30-1', () => {
    expect(codeOf(() => encodeVarint(MAX_VARINT + 1))).toBe('invalid_value');
    expect(codeOf(() => encodeVarint(-1))).toBe('invalid_value');
    expect(codeOf(() => encodeVarint(1.5))).toBe('invalid_value');
  });
});

interface Sample {
  a: number;
  b: number;
  c: number;
  d: bigint;
  blob: Uint8Array;
  list: Uint8Array[];
  opt: Uint8Array | null;
}

const writeSample = (w: Writer, s: Sample): void => {
  w.u8(s.a).u16(s.b).u32(s.c).u64(s.d).opaque(s.blob);
  w.vector(s.list, (ww, x) => ww.opaque(x));
  w.optional(s.opt, (ww, x) => ww.opaque(x));
};
const readSample = (r: Reader): Sample => ({
  a: r.u8(),
  b: r.u16(),
  c: r.u32(),
  d: r.u64(),
  blob: r.opaque(),
  list: r.vector((rr) => rr.opaque()),
  opt: r.optional((rr) => rr.opaque()),
});

const sampleArb = fc.record({
  a: fc.integer({ min: 0, max: 0xff }),
  b: fc.integer({ min: 0, max: 0xffff }),
  c: fc.integer({ min: 0, max: 0xffffffff }),
  d: fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }),
  blob: fc.uint8Array({ maxLength: 300 }),
  list: fc.array(fc.uint8Array({ maxLength: 70 }), { maxLength: 5 }),
  opt: fc.option(fc.uint8Array({ maxLength: 10 }), { nil: null }),
});

describe('Writer / Reader', () => {
  it('round-trips structs of integers, vectors and optionals', () => {
    fc.assert(
      fc.property(sampleArb, (s) => {
        const bytes = encode((w) => writeSample(w, s));
        expect(decode(bytes, readSample)).toEqual(s);
      }),
    );
  });

  it('rejects every truncation of a valid encoding with a typed error', () => {
    fc.assert(
      fc.property(sampleArb, fc.nat(), (s, cut) => {
        const bytes = encode((w) => writeSample(w, s));
        const short = bytes.subarray(0, cut % bytes.length);
        expect(codeOf(() => decode(short, readSample))).toMatch(/^(truncated|invalid_value|trailing_bytes)$/);
      }),
    );
  });

  it('rejects trailing bytes', () => {
    const bytes = encode((w) => w.u16(7).u8(1));
    expect(codeOf(() => decode(bytes, (r) => r.u16()))).toBe('trailing_bytes');
  });

  it('never throws anything but CodecError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const code = codeOf(() => decode(bytes, readSample));
        expect(typeof code).toBe('string');
      }),
    );
  });

  it('enforces the caller limit on a claimed vector length', () => {
    const bytes = encode((w) => w.opaque(new Uint8Array(100)));
    expect(codeOf(() => decode(bytes, (r) => r.opaque(99)))).toBe('overlong');
    expect(decode(bytes, (r) => r.opaque(100)).length).toBe(100);
  });

  it('rejects a vector whose items overrun its length header', () => {
    // A vector claiming 3 bytes whose only item is a 4-byte opaque: the item overruns the window.
    const bytes = fromHex('03' + '03aabbcc');
    expect(codeOf(() => decode(bytes, (r) => r.vector((rr) => rr.opaque())))).toBe('truncated');
  });

  it('rejects an optional presence byte other than 0 or 1', () => {
    expect(codeOf(() => decode(fromHex('02'), (r) => r.optional((rr) => rr.u8())))).toBe('invalid_value');
  });

  it('refuses out-of-range integers when encoding', () => {
    expect(codeOf(() => encode((w) => w.u8(256)))).toBe('invalid_value');
    expect(codeOf(() => encode((w) => w.u16(-1)))).toBe('invalid_value');
    expect(codeOf(() => encode((w) => w.u32(2 ** 32)))).toBe('invalid_value');
    expect(codeOf(() => encode((w) => w.u64(2n ** 64n)))).toBe('invalid_value');
  });

  it('encodes big-endian as TLS does', () => {
    expect(toHex(encode((w) => w.u16(0x0102).u32(0x03040506).u64(0x0708090a0b0c0d0en)))).toBe('0102030405060708090a0b0c0d0e');
  });

  it('back-patches vector length headers of 1, 2 and 4 bytes with the items right behind them', () => {
    // Items of 63, 64 and 16384 bytes in total: the widest header of each size class and the
    // narrowest of the next, written behind a leading byte and followed by a trailing one.
    const one = encode((w) => w.u8(0xee).vector([new Uint8Array(63).fill(7)], (iw, x) => iw.raw(x)).u8(0xff));
    expect(toHex(one)).toBe('ee' + '3f' + '07'.repeat(63) + 'ff');
    const two = encode((w) => w.u8(0xee).vector([new Uint8Array(60).fill(7), new Uint8Array(4).fill(8)], (iw, x) => iw.raw(x)).u8(0xff));
    expect(toHex(two)).toBe('ee' + '4040' + '07'.repeat(60) + '08'.repeat(4) + 'ff');
    const four = encode((w) => w.u8(0xee).vector([new Uint8Array(16384).fill(9)], (iw, x) => iw.raw(x)).u8(0xff));
    expect(toHex(four)).toBe('ee' + '80004000' + '09'.repeat(16384) + 'ff');
  });

  it('writes nested vectors with each header covering exactly its own items', () => {
    const bytes = encode((w) => w.vector([[1, 2], [], [3]], (iw, list) => iw.vector(list, (jw, x) => jw.u8(x))));
    expect(toHex(bytes)).toBe('06' + '020102' + '00' + '0103');
    expect(decode(bytes, (r) => r.vector((rr) => rr.vector((qq) => qq.u8())))).toEqual([[1, 2], [], [3]]);
  });

  it('reads the fields after a vector from the whole input again', () => {
    const bytes = fromHex('02' + '0102' + 'aabbccdd');
    expect(decode(bytes, (r) => [r.vector((rr) => rr.u8()), r.u32()])).toEqual([[1, 2], 0xaabbccdd]);
  });

  it('decodes uint64 values on both sides of 2^53', () => {
    const values = [0n, 2n ** 53n - 1n, 2n ** 53n, 0xffffffffffffffffn];
    expect(decode(fromHex('0000000000000000' + '001fffffffffffff' + '0020000000000000' + 'ffffffffffffffff'), (r) => values.map(() => r.u64()))).toEqual(values);
  });

  it('encodeOpaque gives the opaque<V> bytes with 1-, 2- and 4-byte headers', () => {
    expect(toHex(encodeOpaque(fromHex('aabb')))).toBe('02aabb');
    expect(toHex(encodeOpaque(new Uint8Array(64).fill(1)))).toBe('4040' + '01'.repeat(64));
    expect(toHex(encodeOpaque(new Uint8Array(16384).fill(2)))).toBe('80004000' + '02'.repeat(16384));
  });
});
