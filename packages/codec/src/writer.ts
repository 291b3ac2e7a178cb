import { CodecError } from './errors.ts';
import { varintSize, writeVarintAt } from './varint.ts';

/**
 * Appends TLS presentation-language values (RFC 9420 section 2.1) to one growing buffer. A vector
 * is written in place: its items go straight into the buffer behind a one-byte length header that
 * is back-patched (and widened, moving the items up, when the length needs 2 or 4 bytes), so no
 * nested buffer or header array is allocated.
 */
export class Writer {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Number of bytes written so far. */
  get length(): number {
    return this.len;
  }

  u8(n: number): this {
    checkUint(n, 0xff, 'uint8');
    this.reserve(1);
    this.buf[this.len++] = n;
    return this;
  }

  u16(n: number): this {
    checkUint(n, 0xffff, 'uint16');
    this.reserve(2);
    const b = this.buf;
    b[this.len] = n >> 8;
    b[this.len + 1] = n & 0xff;
    this.len += 2;
    return this;
  }

  u32(n: number): this {
    checkUint(n, 0xffffffff, 'uint32');
    this.reserve(4);
    this.putU32(n);
    return this;
  }

  private putU32(n: number): void {
    const b = this.buf;
    const o = this.len;
    b[o] = n >>> 24;
    b[o + 1] = (n >>> 16) & 0xff;
    b[o + 2] = (n >>> 8) & 0xff;
    b[o + 3] = n & 0xff;
    this.len = o + 4;
  }

  u64(n: bigint): this {
    if (n < 0n || n > 0xffffffffffffffffn) {
      throw new CodecError('invalid_value', `uint64 value ${n} is out of range`);
    }
    this.reserve(8);
    this.putU32(Number(n >> 32n));
    this.putU32(Number(n & 0xffffffffn));
    return this;
  }

  /** Writes an RFC 9420 varint (used as the length header of `<V>` vectors). */
  varint(n: number): this {
    const size = varintSize(n);
    this.reserve(size);
    this.putVarint(n, size);
    return this;
  }

  private putVarint(n: number, size: 1 | 2 | 4): void {
    this.len = writeVarintAt(this.buf, this.len, n, size);
  }

  /** Writes bytes as they are, with no length prefix. */
  raw(bytes: Uint8Array): this {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  /** Writes `opaque data<V>`: a varint length then the bytes. */
  opaque(bytes: Uint8Array): this {
    const size = varintSize(bytes.length);
    this.reserve(size + bytes.length);
    this.putVarint(bytes.length, size);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  /** Writes `T items<V>`: the encoded items behind a varint byte-length header. */
  vector<T>(items: readonly T[], write: (w: Writer, item: T) => void): this {
    this.reserve(1);
    const header = this.len;
    this.len = header + 1; // a one-byte header is the common case; widened below if not
    for (let i = 0; i < items.length; i++) write(this, items[i] as T);
    const bodyLen = this.len - header - 1;
    const size = varintSize(bodyLen);
    if (size !== 1) {
      // Move the items up to make room for the wider header (copyWithin handles the overlap).
      this.reserve(size - 1);
      this.buf.copyWithin(header + size, header + 1, this.len);
    }
    this.len = header;
    this.putVarint(bodyLen, size);
    this.len = header + size + bodyLen;
    return this;
  }

  /** Writes `optional<T>`: a presence byte, then the value when present. */
  optional<T>(value: T | null | undefined, write: (w: Writer, item: T) => void): this {
    if (value === null || value === undefined) return this.u8(0);
    this.u8(1);
    write(this, value);
    return this;
  }

  /** Returns the bytes written (a copy trimmed to size). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function checkUint(n: number, max: number, type: string): void {
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new CodecError('invalid_value', `${type} value ${n} is out of range`);
  }
}

/** Encodes with a fresh Writer and returns the bytes. */
export function encode(write: (w: Writer) => void): Uint8Array {
  const w = new Writer();
  write(w);
  return w.finish();
}

/** `opaque data<V>` of the given bytes, as a standalone byte string. */
export function encodeOpaque(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  const size = varintSize(n);
  const out = new Uint8Array(size + n);
  writeVarintAt(out, 0, n, size); // no separate header array
  out.set(bytes, size);
  return out;
}
