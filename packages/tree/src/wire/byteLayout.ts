// Exact-size encoding for the per-message hot paths (AADs, SenderData, FramedContentTBS pieces, the
// PrivateMessage wire bytes, tree-hash inputs): the sizes are summed first and every field is
// written into one buffer, where the codec's Writer starts a 256-byte buffer, allocates each varint
// header and copies the result out again. The bytes are the Writer's, field for field (tests
// compare the two encodings).

import { CodecError, varintSize, writeVarintAt, type Reader } from '@weft/codec';

/** Size of `opaque data<V>` holding `length` bytes. */
export function opaqueSize(length: number): number {
  return varintSize(length) + length;
}

/** Writes the minimal varint of `n` at `o`; returns the offset after it. */
export function putVarint(out: Uint8Array, o: number, n: number): number {
  return writeVarintAt(out, o, n);
}

/** Writes `opaque data<V>` at `o`; returns the offset after it. */
export function putOpaque(out: Uint8Array, o: number, bytes: Uint8Array): number {
  const at = putVarint(out, o, bytes.length);
  out.set(bytes, at);
  return at + bytes.length;
}

/** Writes bytes as they are at `o`; returns the offset after them. */
export function putRaw(out: Uint8Array, o: number, bytes: Uint8Array): number {
  out.set(bytes, o);
  return o + bytes.length;
}

/** Writes a uint32 at `o`; returns the offset after it. */
export function putU32(out: Uint8Array, o: number, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new CodecError('invalid_value', `uint32 value ${n} is out of range`);
  out[o] = n >>> 24;
  out[o + 1] = (n >>> 16) & 0xff;
  out[o + 2] = (n >>> 8) & 0xff;
  out[o + 3] = n & 0xff;
  return o + 4;
}

/** Writes a uint64 at `o`; returns the offset after it. */
export function putU64(out: Uint8Array, o: number, n: bigint): number {
  if (n < 0n || n > 0xffffffffffffffffn) throw new CodecError('invalid_value', `uint64 value ${n} is out of range`);
  putU32(out, o, Number(n >> 32n));
  return putU32(out, o + 4, Number(n & 0xffffffffn));
}

/** Concatenation of byte strings (a fixed small list; no rest arguments). */
export function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) o = putRaw(out, o, p);
  return out;
}

/**
 * Runs `read` and also returns the bytes it consumed, as a view into the reader's input (no copy):
 * two zero-length reads mark where the value starts and ends.
 */
export function readWithBytes<T>(r: Reader, read: (r: Reader) => T): [T, Uint8Array] {
  const start = r.raw(0);
  const value = read(r);
  const end = r.raw(0);
  return [value, new Uint8Array(start.buffer, start.byteOffset, end.byteOffset - start.byteOffset)];
}
