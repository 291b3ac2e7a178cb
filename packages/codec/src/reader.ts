import { CodecError } from './errors.ts';
import { decodeVarint } from './varint.ts';

/**
 * Reads TLS presentation-language values (RFC 9420 section 2.1) from a byte string, strictly.
 * Vectors are read by narrowing this reader's window to the vector's bytes and restoring it after,
 * so no reader, view or error message is allocated on the success path.
 */
export class Reader {
  private pos: number;
  private end: number;

  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    end = bytes.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  /** Current read position in the underlying bytes. */
  get offset(): number {
    return this.pos;
  }

  /** Bytes left before the end of this reader's window. */
  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.end) this.truncated(n, what);
  }

  private truncated(n: number, what: string): never {
    throw new CodecError('truncated', `${what} needs ${n} bytes but ${this.end - this.pos} remain`, this.pos);
  }

  u8(): number {
    this.need(1, 'uint8');
    return this.bytes[this.pos++] as number;
  }

  u16(): number {
    this.need(2, 'uint16');
    const v = ((this.bytes[this.pos] as number) << 8) | (this.bytes[this.pos + 1] as number);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4, 'uint32');
    const b = this.bytes;
    const p = this.pos;
    const v = (b[p] as number) * 0x1000000 + (((b[p + 1] as number) << 16) | ((b[p + 2] as number) << 8) | (b[p + 3] as number));
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    this.need(8, 'uint64');
    const hi = this.u32();
    const lo = this.u32();
    // Most epochs and generations fit in 53 bits: one BigInt conversion instead of a shift and an or.
    return hi < 0x200000 ? BigInt(hi * 0x100000000 + lo) : (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Reads a minimal RFC 9420 varint. */
  varint(): number {
    const p = this.pos;
    if (p >= this.end) throw new CodecError('truncated', 'varint header is missing', p);
    const b = this.bytes;
    const first = b[p] as number;
    if (first < 0x40) {
      this.pos = p + 1;
      return first;
    }
    // Wider headers go through the shared decoder (reserved prefix and minimality checks), bounded
    // by this reader's window.
    const { value, size } = decodeVarint(this.end === b.length ? b : b.subarray(0, this.end), p);
    this.pos = p + size;
    return value;
  }

  /** Reads `n` bytes as they are (a view, not a copy). */
  raw(n: number): Uint8Array {
    if (this.pos + n > this.end) this.truncated(n, `${n}-byte field`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Reads `opaque data<V>`; `max` bounds the length a peer may claim. */
  opaque(max = Number.MAX_SAFE_INTEGER): Uint8Array {
    const at = this.pos;
    const len = this.varint();
    if (len > max) throw new CodecError('overlong', `vector of ${len} bytes exceeds the limit of ${max}`, at);
    return this.raw(len);
  }

  /** Reads `T items<V>`: items are decoded until the vector's bytes are used up exactly. */
  vector<T>(read: (r: Reader) => T, maxBytes = Number.MAX_SAFE_INTEGER): T[] {
    const at = this.pos;
    const len = this.varint();
    if (len > maxBytes) throw new CodecError('overlong', `vector of ${len} bytes exceeds the limit of ${maxBytes}`, at);
    this.need(len, 'vector body');
    const outerEnd = this.end;
    const vectorEnd = this.pos + len;
    this.end = vectorEnd;
    const items: T[] = [];
    try {
      while (this.pos < vectorEnd) items.push(read(this));
    } finally {
      this.end = outerEnd;
    }
    // The window ended the items: any read past it threw above, so they used it up exactly.
    return items;
  }

  /** Reads `optional<T>`; a presence byte other than 0 or 1 is rejected. */
  optional<T>(read: (r: Reader) => T): T | null {
    const at = this.pos;
    const flag = this.u8();
    if (flag === 0) return null;
    if (flag !== 1) throw new CodecError('invalid_value', `optional presence byte is ${flag}, not 0 or 1`, at);
    return read(this);
  }

  /** Throws unless every byte of the window was consumed. */
  finish(): void {
    if (this.pos !== this.end) {
      throw new CodecError('trailing_bytes', `${this.end - this.pos} unexpected bytes after the value`, this.pos);
    }
  }
}

/** Decodes one value that must span all of `bytes`. */
export function decode<T>(bytes: Uint8Array, read: (r: Reader) => T): T {
  const r = new Reader(bytes);
  const value = read(r);
  r.finish();
  return value;
}
