// Strict DAG-CBOR for keyshare messages, with the same discipline as @weft/dag events: canonical
// encoding only, nothing after the value, size checked before decoding, unknown keys refused.
import * as dagCbor from '@ipld/dag-cbor';
import * as cborg from 'cborg';
import { CID } from 'multiformats/cid';
import { bytesEqual } from '@weft/codec';
import { isEventCid } from '@weft/dag';
import { KeyshareError } from './errors.ts';

const decodeOptions = dagCbor.decodeOptions as cborg.DecodeOptions;

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
  let rest: Uint8Array;
  try {
    [value, rest] = cborg.decodeFirst(bytes, decodeOptions);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/end of|unexpected end|not enough|out of bounds|insufficient/i.test(msg)) throw new KeyshareError('truncated', `${what} ends early: ${msg}`);
    if (/strict|more bytes than necessary|indefinite|duplicate|canonical|sorted/i.test(msg)) throw new KeyshareError('non_canonical', `${what}: ${msg}`);
    throw new KeyshareError('malformed', `${what} is not DAG-CBOR: ${msg}`);
  }
  if (rest.length > 0) throw new KeyshareError('malformed', `${rest.length} byte(s) follow the ${what}`);
  if (!isPlainMap(value)) throw new KeyshareError('malformed', `${what} must be a map`);
  if (!bytesEqual(dagCbor.encode(value), bytes)) throw new KeyshareError('non_canonical', `${what} is not canonical DAG-CBOR`);
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
