import { CodecError } from './errors.ts';

/** Largest length an RFC 9420 variable-size vector header can express (2^30 - 1). */
export const MAX_VARINT = 0x3fffffff;

/** Number of bytes the minimal RFC 9420 varint encoding of `n` takes. */
export function varintSize(n: number): 1 | 2 | 4 {
  if (!Number.isInteger(n) || n < 0 || n > MAX_VARINT) {
    throw new CodecError('invalid_value', `varint value ${n} is outside 0..${MAX_VARINT}`);
  }
  return n < 0x40 ? 1 : n < 0x4000 ? 2 : 4;
}

/**
 * Writes the `size`-byte varint header of `n` (size from varintSize, passed in so callers that
 * sized a buffer already do not compute it twice) into `out` at `o`; returns the offset after it.
 */
export function writeVarintAt(out: Uint8Array, o: number, n: number, size: 1 | 2 | 4 = varintSize(n)): number {
  if (size === 1) {
    out[o] = n;
  } else if (size === 2) {
    out[o] = 0x40 | (n >> 8);
    out[o + 1] = n & 0xff;
  } else {
    out[o] = 0x80 | (n >>> 24);
    out[o + 1] = (n >>> 16) & 0xff;
    out[o + 2] = (n >>> 8) & 0xff;
    out[o + 3] = n & 0xff;
  }
  return o + size;
}

/** Encodes `n` with the minimal RFC 9420 section 2.1.2 varint header. */
export function encodeVarint(n: number): Uint8Array {
  const size = varintSize(n);
  if (size === 1) return Uint8Array.of(n);
  if (size === 2) return Uint8Array.of(0x40 | (n >> 8), n & 0xff);
  return Uint8Array.of(0x80 | (n >>> 24), (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/**
 * Decodes a varint header at `offset`. Rejects the reserved `11` prefix and any encoding longer
 * than the minimal one, as RFC 9420 requires.
 */
export function decodeVarint(bytes: Uint8Array, offset = 0): { value: number; size: number } {
  const first = bytes[offset];
  if (first === undefined) throw new CodecError('truncated', 'varint header is missing', offset);
  const prefix = first >> 6;
  if (prefix === 3) throw new CodecError('invalid_varint', 'varint prefix 0b11 is reserved', offset);
  const size = 1 << prefix;
  if (offset + size > bytes.length) {
    throw new CodecError('truncated', `varint header needs ${size} bytes`, offset);
  }
  let value = first & 0x3f;
  for (let i = 1; i < size; i++) value = value * 256 + (bytes[offset + i] as number);
  if (size > 1 && varintSize(value) !== size) {
    throw new CodecError('non_minimal_varint', `varint ${value} is not minimally encoded`, offset);
  }
  return { value, size };
}
