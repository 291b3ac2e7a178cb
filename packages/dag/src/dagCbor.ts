// Strict DAG-CBOR decoding in one walk over the bytes: every rule of the canonical form is checked
// as the value is built, so no re-encoding is needed to tell canonical bytes from others.
// The rules are those of the IPLD DAG-CBOR spec (https://ipld.io/specs/codecs/dag-cbor/spec/) as
// @ipld/dag-cbor 10 enforces them by strict decoding plus re-encoding; test/dagCbor.test.ts checks
// with fast-check that both give the same verdict on valid values and on mutated bytes.
import { CID } from 'multiformats/cid';
import { Digest } from 'multiformats/hashes/digest';

/** Why bytes are not strict DAG-CBOR. */
export type DagCborErrorCode =
  /** The input ends inside an item. */
  | 'truncated'
  /** Bytes follow the single top-level item. */
  | 'trailing_bytes'
  /** Valid CBOR and IPLD data, but not in its one canonical form (lengths, key order, number forms). */
  | 'non_canonical'
  /** Something DAG-CBOR cannot hold: other tags, simple values, non-text map keys, NaN, bad CIDs. */
  | 'unsupported';

/** Bytes refused by the strict decoder; `offset` is where the offending item starts. */
export class DagCborError extends Error {
  override readonly name = 'DagCborError';
  constructor(
    readonly code: DagCborErrorCode,
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
  }
}

/** Deepest nesting of lists and maps accepted (far beyond any Weft message; bounds the recursion). */
export const MAX_DAG_CBOR_DEPTH = 256;

const CID_TAG = 42;
const EVENT_CID_PREFIX = [0x01, 0x71, 0x12, 0x20]; // CIDv1, dag-cbor, sha2-256, 32 bytes
const MINIMUM = [24, 256, 65536, 2 ** 32]; // smallest argument that needs 1, 2, 4, 8 bytes
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// Short ASCII strings seen lately, by a hash of their bytes (a cache: a collision just replaces).
const INTERN_MAX = 16;
const INTERN_SLOTS = 256;
const interned: (string | undefined)[] = new Array<string | undefined>(INTERN_SLOTS);

class Walker {
  p = 0;
  // The argument of the last head read: exact when at most 2^53 - 1, otherwise `big` holds it.
  arg = 0;
  big: bigint | undefined = undefined;
  constructor(readonly b: Uint8Array) {}

  fail(code: DagCborErrorCode, message: string, at: number): never {
    throw new DagCborError(code, message, at);
  }

  need(n: number, at: number): void {
    if (this.p + n > this.b.length) this.fail('truncated', `the input ends ${this.p + n - this.b.length} byte(s) early`, at);
  }

  /** Reads a head; returns its major type and leaves its argument in `arg` (or `big`). */
  head(): number {
    const b = this.b;
    const at = this.p;
    this.need(1, at);
    const first = b[at] as number;
    const major = first >> 5;
    const info = first & 31;
    this.p = at + 1;
    this.big = undefined;
    if (info < 24) {
      this.arg = info;
      return major;
    }
    if (info > 27) {
      if (info === 31) this.fail('non_canonical', major === 7 ? 'unexpected break' : 'indefinite-length items are not allowed', at);
      this.fail('unsupported', `reserved additional information ${info}`, at);
    }
    if (major === 7) {
      this.arg = info; // floats and simple values are read by the caller
      return major;
    }
    const size = 1 << (info - 24);
    this.need(size, at);
    let v: number;
    const q = this.p;
    if (size === 1) v = b[q] as number;
    else if (size === 2) v = ((b[q] as number) << 8) | (b[q + 1] as number);
    else if (size === 4) v = ((b[q] as number) * 0x1000000 + (((b[q + 1] as number) << 16) | ((b[q + 2] as number) << 8) | (b[q + 3] as number))) >>> 0;
    else {
      const hi = ((b[q] as number) * 0x1000000 + (((b[q + 1] as number) << 16) | ((b[q + 2] as number) << 8) | (b[q + 3] as number))) >>> 0;
      const lo = ((b[q + 4] as number) * 0x1000000 + (((b[q + 5] as number) << 16) | ((b[q + 6] as number) << 8) | (b[q + 7] as number))) >>> 0;
      v = hi * 2 ** 32 + lo;
      if (hi >= 0x200000) this.big = (BigInt(hi) << 32n) | BigInt(lo); // beyond 2^53 - 1: keep it exact
    }
    this.p = q + size;
    if (v < (MINIMUM[info - 24] as number)) this.fail('non_canonical', `integer ${v} encoded in more bytes than necessary`, at);
    this.arg = v;
    return major;
  }

  /** A length argument: it must fit in what is left of the input (each item takes at least a byte). */
  length(at: number, unit: number): number {
    if (this.big !== undefined || this.arg * unit > this.b.length - this.p) this.fail('truncated', `length ${this.big ?? this.arg} runs past the end of the input`, at);
    return this.arg;
  }

  value(depth: number): unknown {
    const at = this.p;
    const major = this.head();
    switch (major) {
      case 0:
        return this.big ?? this.arg;
      case 1:
        if (this.big === undefined && this.arg < Number.MAX_SAFE_INTEGER) return -1 - this.arg;
        return -1n - (this.big ?? BigInt(this.arg));
      case 2: {
        const n = this.length(at, 1);
        const out = this.b.subarray(this.p, this.p + n);
        this.p += n;
        return out;
      }
      case 3:
        return this.text(at);
      case 4: {
        const n = this.length(at, 1);
        if (depth >= MAX_DAG_CBOR_DEPTH) this.fail('unsupported', `nesting deeper than ${MAX_DAG_CBOR_DEPTH}`, at);
        const out: unknown[] = new Array<unknown>(n);
        for (let i = 0; i < n; i++) out[i] = this.value(depth + 1);
        return out;
      }
      case 5:
        return this.map(at, depth);
      case 6:
        return this.cid(at);
      default:
        return this.simple(at);
    }
  }

  text(at: number): string {
    const n = this.length(at, 1);
    const b = this.b;
    const start = this.p;
    const end = start + n;
    this.p = end;
    let ascii = true;
    let hash = n;
    for (let i = start; i < end; i++) {
      const c = b[i] as number;
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      hash = (Math.imul(hash, 31) + c) | 0;
    }
    if (ascii) {
      if (n > INTERN_MAX) return utf8Strict.decode(b.subarray(start, end));
      // Map keys and kinds repeat in every event: reuse the string made last time for these bytes.
      const slot = hash & (INTERN_SLOTS - 1);
      const known = interned[slot];
      if (known !== undefined && known.length === n) {
        let same = true;
        for (let i = 0; same && i < n; i++) same = known.charCodeAt(i) === b[start + i];
        if (same) return known;
      }
      const made = String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
      interned[slot] = made;
      return made;
    }
    // A leading U+FEFF would be dropped by the reference decoder (TextDecoder's BOM handling), so
    // such a string never round-trips: it has no canonical encoding there, and is refused here too.
    if (b[start] === 0xef && b[start + 1] === 0xbb && b[start + 2] === 0xbf) this.fail('non_canonical', 'a text string may not start with U+FEFF', at);
    try {
      return utf8Strict.decode(b.subarray(start, end));
    } catch {
      return this.fail('non_canonical', 'text is not valid UTF-8', at);
    }
  }

  map(at: number, depth: number): Record<string, unknown> {
    const n = this.length(at, 2);
    if (depth >= MAX_DAG_CBOR_DEPTH) this.fail('unsupported', `nesting deeper than ${MAX_DAG_CBOR_DEPTH}`, at);
    const b = this.b;
    const out: Record<string, unknown> = {};
    let prevStart = -1;
    let prevLen = 0;
    for (let i = 0; i < n; i++) {
      const keyAt = this.p;
      if (this.head() !== 3) this.fail('unsupported', 'map keys must be text strings', keyAt);
      const key = this.text(keyAt);
      const len = this.p - keyAt; // encoded key, head included: DAG-CBOR sorts keys by it, length first
      if (prevStart >= 0) {
        let cmp = prevLen - len;
        for (let j = 0; cmp === 0 && j < len; j++) cmp = (b[prevStart + j] as number) - (b[keyAt + j] as number);
        if (cmp >= 0) this.fail('non_canonical', cmp === 0 ? `duplicate map key "${key}"` : `map key "${key}" is out of order (keys sort by length, then bytes)`, keyAt);
      }
      prevStart = keyAt;
      prevLen = len;
      const v = this.value(depth + 1);
      // Assigning "__proto__" would set the prototype instead of adding an entry.
      if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v;
    }
    return out;
  }

  cid(at: number): CID {
    if (this.big !== undefined || this.arg !== CID_TAG) this.fail('unsupported', `CBOR tag ${this.big ?? this.arg} is not allowed (only 42, a CID)`, at);
    const bytesAt = this.p;
    this.need(1, bytesAt);
    if ((this.b[bytesAt] as number) >> 5 !== 2) this.fail('unsupported', 'a CID (tag 42) must hold a byte string', bytesAt);
    const raw = this.value(0) as Uint8Array;
    if (raw[0] !== 0) this.fail('unsupported', 'a CID byte string must start with 0x00', bytesAt);
    if (raw.length === 37 && raw[1] === EVENT_CID_PREFIX[0] && raw[2] === EVENT_CID_PREFIX[1] && raw[3] === EVENT_CID_PREFIX[2] && raw[4] === EVENT_CID_PREFIX[3]) {
      // The event CID form: built directly on a view of the input (CID.decode parses varints and
      // copies; a 36-byte copy would also be moved off the V8 heap by the views a CID takes of it).
      const bytes = raw.subarray(1);
      return new CID(1, 0x71, new Digest(0x12, 32, raw.subarray(5), raw.subarray(3)), bytes);
    }
    let cid: CID;
    try {
      cid = CID.decode(raw.subarray(1));
    } catch (e) {
      return this.fail('unsupported', `invalid CID: ${e instanceof Error ? e.message : String(e)}`, bytesAt);
    }
    const bytes = cid.bytes;
    if (bytes.length !== raw.length - 1 || bytes.some((x, i) => x !== raw[i + 1])) this.fail('non_canonical', 'CID bytes are not in their canonical form', bytesAt);
    return cid;
  }

  simple(at: number): boolean | null | number {
    const info = this.arg;
    if (info === 20) return false;
    if (info === 21) return true;
    if (info === 22) return null;
    if (info === 23) this.fail('non_canonical', 'undefined is not in the IPLD data model', at);
    if (info === 25 || info === 26) this.fail('non_canonical', 'floats must be encoded in 64 bits', at);
    if (info !== 27) this.fail('unsupported', 'simple values other than false, true and null are not allowed', at);
    this.need(8, at);
    const b = this.b;
    const v = new DataView(b.buffer, b.byteOffset + this.p, 8).getFloat64(0);
    this.p += 8;
    if (!Number.isFinite(v)) this.fail('unsupported', 'NaN and infinities are not in the IPLD data model', at);
    // A float holding a safe integer (or -0) decodes to a JS number the encoder writes as an integer.
    if (Number.isSafeInteger(v)) this.fail('non_canonical', `float ${v} must be encoded as an integer`, at);
    return v;
  }
}

/**
 * Decodes bytes that must be exactly one item of strict, canonical DAG-CBOR: shortest-form integers
 * and lengths, map keys text only, sorted length-first then bytewise, no duplicates, no
 * indefinite lengths, only tag 42 holding a valid CID, no undefined, NaN or infinities, floats in
 * 64 bits, valid UTF-8 text, and nothing after the item. Byte strings in the result, and the bytes
 * of event CIDs, are views into `bytes` (not copies). Throws DagCborError.
 */
export function decodeDagCborStrict(bytes: Uint8Array): unknown {
  // A Buffer (or other subclass) is viewed as a plain Uint8Array, so byte strings come out plain.
  const w = new Walker(bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const value = w.value(0);
  if (w.p !== bytes.length) throw new DagCborError('trailing_bytes', `${bytes.length - w.p} byte(s) follow the value`, w.p);
  return value;
}
