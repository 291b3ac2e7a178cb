// Strict DAG-CBOR for keyshare messages, with the same discipline as @weft/dag events: canonical
// encoding only, nothing after the value, size checked before decoding, unknown keys refused.
import * as dagCbor from '@ipld/dag-cbor';
import { CID } from 'multiformats/cid';
import { DagCborError, decodeDagCborStrict, isEventCid } from '@weft/dag';
import { KeyshareError } from './errors.ts';

/** A decoded DAG-CBOR map. */
export type Plain = Record<string, unknown>;

/** Canonical DAG-CBOR bytes of a value. */
export function encodeCbor(value: unknown): Uint8Array {
  return dagCbor.encode(value);
}

/** Decodes `bytes` as one canonical DAG-CBOR map of at most `maxBytes`; throws KeyshareError. */
export function decodeCborMap(bytes: Uint8Array, maxBytes: number, what: string): Plain {
  if (!(bytes instanceof Uint8Array)) throw new KeyshareError('malformed', `${what} must be bytes`);
  if (bytes.length > maxBytes) throw new KeyshareError('oversized', `${what} is ${bytes.length} bytes; the limit is ${maxBytes}`);
  let value: unknown;
  try {
    // A private copy: byte strings of the result are views into it, and must not change when the
    // caller reuses its buffer.
    value = decodeDagCborStrict(bytes.slice());
  } catch (e) {
    if (!(e instanceof DagCborError)) throw e;
    if (e.code === 'truncated') throw new KeyshareError('truncated', `${what} ends early: ${e.message}`);
    if (e.code === 'non_canonical') throw new KeyshareError('non_canonical', `${what}: ${e.message}`);
    if (e.code === 'trailing_bytes') throw new KeyshareError('malformed', `${what} has bytes after its value: ${e.message}`);
    throw new KeyshareError('malformed', `${what} is not DAG-CBOR: ${e.message}`);
  }
  if (!isPlainMap(value)) throw new KeyshareError('malformed', `${what} must be a map`);
  return value;
}

/** True for a DAG-CBOR map (not a list, bytes or CID). */
export function isPlainMap(x: unknown): x is Plain {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Uint8Array) && CID.asCID(x) === null;
}

/** Reads fields of a map under one name for errors; every reader throws KeyshareError('malformed'). */
export class FieldReader {
  constructor(
    readonly map: Plain,
    readonly what: string,
  ) {}

  /** Refuses any key outside `allowed`. */
  onlyKeys(allowed: readonly string[]): this {
    for (const k of Object.keys(this.map)) if (!allowed.includes(k)) throw new KeyshareError('unknown_field', `${this.what} has an unknown field "${k}"`);
    return this;
  }

  has(key: string): boolean {
    return key in this.map;
  }

  bytes(key: string, min: number, max: number): Uint8Array {
    const v = this.map[key];
    if (!(v instanceof Uint8Array)) throw this.fail(key, 'must be bytes');
    if (v.length < min || v.length > max) throw this.fail(key, `must be ${min}..${max} bytes, not ${v.length}`);
    return v;
  }

  uint(key: string, max: number): number {
    const v = this.map[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw this.fail(key, `must be an integer in 0..${max}`);
    return v;
  }

  text<T extends string>(key: string, allowed: readonly T[]): T {
    const v = this.map[key];
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw this.fail(key, `must be one of ${allowed.join(', ')}`);
    return v as T;
  }

  cid(key: string): CID {
    const c = CID.asCID(this.map[key]);
    if (c === null || !isEventCid(c)) throw this.fail(key, 'must be a CIDv1 dag-cbor sha2-256');
    return c;
  }

  list(key: string, max: number): unknown[] {
    const v = this.map[key];
    if (!Array.isArray(v)) throw this.fail(key, 'must be a list');
    if (v.length > max) throw new KeyshareError('oversized', `${this.what}.${key} has ${v.length} entries; the limit is ${max}`);
    return v;
  }

  map_(key: string): FieldReader {
    const v = this.map[key];
    if (!isPlainMap(v)) throw this.fail(key, 'must be a map');
    return new FieldReader(v, `${this.what}.${key}`);
  }

  private fail(key: string, why: string): KeyshareError {
    return new KeyshareError('malformed', `${this.what}.${key} ${key in this.map ? why : 'is missing'}`);
  }
}

/** A FieldReader over a list entry that must be a map. */
export function readEntry(x: unknown, what: string): FieldReader {
  if (!isPlainMap(x)) throw new KeyshareError('malformed', `${what} must be a map`);
  return new FieldReader(x, what);
}

/** Offset just past the CBOR item starting at `at` (input already validated as canonical DAG-CBOR). */
function skipItem(b: Uint8Array, at: number): number {
  const head = b[at] as number;
  const major = head >> 5;
  const info = head & 31;
  let arg: number;
  let p = at + 1;
  if (info < 24) arg = info;
  else if (info === 24) [arg, p] = [b[p] as number, p + 1];
  else if (info === 25) [arg, p] = [((b[p] as number) << 8) | (b[p + 1] as number), p + 2];
  else if (info === 26) [arg, p] = [((b[p] as number) * 2 ** 24 + (((b[p + 1] as number) << 16) | ((b[p + 2] as number) << 8) | (b[p + 3] as number))) >>> 0, p + 4];
  else if (info === 27) {
    let v = 0;
    for (let i = 0; i < 8; i++) v = v * 256 + (b[p + i] as number);
    [arg, p] = [v, p + 8];
  } else throw new KeyshareError('malformed', 'unexpected CBOR item');
  switch (major) {
    case 0:
    case 1:
    case 7:
      return p;
    case 2:
    case 3:
      return p + arg;
    case 4:
      for (let i = 0; i < arg; i++) p = skipItem(b, p);
      return p;
    case 5:
      for (let i = 0; i < 2 * arg; i++) p = skipItem(b, p);
      return p;
    default: // 6: a tag and its one item
      return skipItem(b, p);
  }
}

/**
 * The canonical encoding of a decoded canonical map without its `key` entry, cut out of its bytes
 * (no re-encoding): drop the entry and decrement the map size. Only for maps of fewer than 24
 * entries with short text keys, which every keyshare message is; otherwise null.
 */
export function sliceWithoutKey(bytes: Uint8Array, key: string): Uint8Array | null {
  const header = bytes[0] as number;
  if (header < 0xa1 || header > 0xb7) return null;
  const n = header - 0xa0;
  let p = 1;
  for (let i = 0; i < n; i++) {
    const start = p;
    const kh = bytes[p] as number;
    if (kh < 0x60 || kh > 0x77) return null;
    const klen = kh - 0x60;
    let match = klen === key.length;
    for (let j = 0; match && j < klen; j++) match = bytes[p + 1 + j] === key.charCodeAt(j);
    p = skipItem(bytes, p + 1 + klen);
    if (match) {
      const out = new Uint8Array(bytes.length - (p - start));
      out[0] = header - 1;
      out.set(bytes.subarray(1, start), 1);
      out.set(bytes.subarray(p), start);
      return out;
    }
  }
  return null;
}
