import { CodecError } from './errors.ts';
import { encodeVarint, varintSize } from './varint.ts';

/** Appends TLS presentation-language values (RFC 9420 section 2.1) to a growing buffer. */
export class Writer {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
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
    this.buf[this.len++] = n >> 8;
    this.buf[this.len++] = n & 0xff;
    return this;
  }

  u32(n: number): this {
    checkUint(n, 0xffffffff, 'uint32');
    this.reserve(4);
    this.buf[this.len++] = n >>> 24;
    this.buf[this.len++] = (n >>> 16) & 0xff;
    this.buf[this.len++] = (n >>> 8) & 0xff;
    this.buf[this.len++] = n & 0xff;
    return this;
  }

  u64(n: bigint): this {
    if (n < 0n || n > 0xffffffffffffffffn) {
      throw new CodecError('invalid_value', `uint64 value ${n} is out of range`);
    }
    this.u32(Number(n >> 32n));
    return this.u32(Number(n & 0xffffffffn));
  }

  /** Writes an RFC 9420 varint (used as the length header of `<V>` vectors). */
  varint(n: number): this {
    return this.raw(encodeVarint(n));
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
    return this.varint(bytes.length).raw(bytes);
  }

  /** Writes `T items<V>`: the encoded items behind a varint byte-length header. */
  vector<T>(items: readonly T[], write: (w: Writer, item: T) => void): this {
    const inner = new Writer();
    for (const item of items) write(inner, item);
    return this.opaque(inner.finish());
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
  const out = new Uint8Array(varintSize(bytes.length) + bytes.length);
  out.set(encodeVarint(bytes.length));
  out.set(bytes, out.length - bytes.length);
  return out;
}
