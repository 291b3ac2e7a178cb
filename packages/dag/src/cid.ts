import { hash } from 'node:crypto';
import { CID } from 'multiformats/cid';
import * as Digest from 'multiformats/hashes/digest';

/** Multicodec code of DAG-CBOR. */
export const DAG_CBOR_CODE = 0x71;
/** Multihash code of SHA2-256. */
export const SHA2_256_CODE = 0x12;

const CID_PREFIX = new Uint8Array([0x01, DAG_CBOR_CODE, SHA2_256_CODE, 0x20]);

// CID bytes are cut from 4 KiB slabs, as Node cuts small Buffers from its pool: a 36-byte array of
// its own would live on the V8 heap and be copied out of it again when the CID takes views of it.
const SLAB_SIZE = 4096;
let slab = new Uint8Array(SLAB_SIZE);
let slabUsed = 0;
function takeCidBytes(): Uint8Array {
  if (slabUsed + 36 > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabUsed = 0;
  }
  slabUsed += 36;
  return slab.subarray(slabUsed - 36, slabUsed);
}

/** CIDv1 (dag-cbor, sha2-256) of the given block bytes. */
export function computeCid(bytes: Uint8Array): CID {
  // node:crypto keeps hashing synchronous, so validation stays a pure synchronous function.
  // The CID bytes are built in place (prefix, then digest): one allocation instead of the several
  // of Digest.create and CID.createV1.
  const out = takeCidBytes();
  out.set(CID_PREFIX, 0);
  out.set(hash('sha256', bytes, 'buffer'), 4); // one-shot: no Hash object per block
  return new CID(1, DAG_CBOR_CODE, new Digest.Digest(SHA2_256_CODE, 32, out.subarray(4), out.subarray(2)), out);
}

/** True when `cid` is the only CID form events may use: v1, dag-cbor, sha2-256 of 32 bytes. */
export function isEventCid(cid: CID): boolean {
  return cid.version === 1 && cid.code === DAG_CBOR_CODE && cid.multihash.code === SHA2_256_CODE && cid.multihash.size === 32;
}

// Store keys name an event by its sha2-256 digest only (every event CID shares the prefix
// 01 71 12 20), in base64 with an alphabet in ASCII order, so key order is CID byte order and a
// key is 43 characters instead of 72 in hex.
const ORDERED = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
const ORDERED_CODES = Uint8Array.from(ORDERED, (c) => c.charCodeAt(0));
const scratch = new Uint8Array(43);
const DECODE = new Uint8Array(128);
ORDERED_CODES.forEach((c, i) => (DECODE[c] = i));
// ASCII only, so the WHATWG 'latin1' (windows-1252) decoding is the identity here.
const ascii = new TextDecoder('latin1');
// The same CID is keyed many times while events are checked and stored, and as a different object
// each time it is named (an event's own CID, then a parent in each child, a base, a group). Keys are
// therefore remembered by digest in a fixed table (a cache: a collision just replaces the slot),
// which also spares the objects an extra property.
const SLOTS = 8192;
const slotDigests = new Uint8Array(SLOTS * 32);
const slotKeys: (string | undefined)[] = new Array<string | undefined>(SLOTS);

/**
 * Store key of an event CID: order-preserving base64 of its digest (CID byte order = key order).
 * Any other CID gets a key starting with '!', which names no stored event.
 */
export function cidKey(cid: CID): string {
  const b = cid.bytes;
  if (b.length !== 36 || b[0] !== 1 || b[1] !== DAG_CBOR_CODE || b[2] !== SHA2_256_CODE || b[3] !== 0x20) {
    return `!${Buffer.from(b).toString('hex')}`;
  }
  const slot = ((b[4] as number) | ((b[5] as number) << 8)) & (SLOTS - 1);
  const at = slot * 32;
  const known = slotKeys[slot];
  if (known !== undefined) {
    let same = true;
    for (let i = 0; same && i < 32; i++) same = slotDigests[at + i] === b[4 + i];
    if (same) return known;
  }
  const C = ORDERED_CODES;
  let o = 0;
  for (let i = 4; i < 34; i += 3) {
    const n = ((b[i] as number) << 16) | ((b[i + 1] as number) << 8) | (b[i + 2] as number);
    scratch[o++] = C[n >> 18] as number;
    scratch[o++] = C[(n >> 12) & 63] as number;
    scratch[o++] = C[(n >> 6) & 63] as number;
    scratch[o++] = C[n & 63] as number;
  }
  // 30 of the 32 digest bytes are done; the last 2 give 16 bits, 3 characters (zero-padded).
  const n = (((b[34] as number) << 8) | (b[35] as number)) << 2;
  scratch[40] = C[n >> 12] as number;
  scratch[41] = C[(n >> 6) & 63] as number;
  scratch[42] = C[n & 63] as number;
  const key = ascii.decode(scratch);
  for (let i = 0; i < 32; i++) slotDigests[at + i] = b[4 + i] as number;
  slotKeys[slot] = key;
  return key;
}

const BASE32 = Uint8Array.from('abcdefghijklmnopqrstuvwxyz234567', (c) => c.charCodeAt(0));

/**
 * `cid.toString()` (multibase base32, prefix 'b') for a CIDv1, as a flat string, without going
 * through multiformats' per-CID string cache: that cache keeps, for as long as the CID object
 * lives, a string built one character at a time (a rope of about 60 nodes, some 2 KB), and a
 * ledger keeps every event's CID. Other CID versions fall back to `cid.toString()`.
 */
export function formatCid(cid: CID): string {
  if (cid.version !== 1) return cid.toString();
  const b = cid.bytes;
  const out = new Uint8Array(1 + Math.ceil((b.length * 8) / 5));
  out[0] = 0x62; // 'b'
  let o = 1;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < b.length; i++) {
    acc = ((acc << 8) | (b[i] as number)) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out[o++] = BASE32[(acc >> bits) & 31] as number;
    }
  }
  if (bits > 0) out[o++] = BASE32[(acc << (5 - bits)) & 31] as number;
  return ascii.decode(out.subarray(0, o));
}

/** CID of a store key produced by `cidKey`. */
export function cidFromKey(key: string): CID {
  const D = DECODE;
  const at = (i: number): number => D[key.charCodeAt(i) & 127] as number;
  const bytes = new Uint8Array(36);
  bytes.set(CID_PREFIX, 0);
  let o = 4;
  for (let i = 0; i < 40; i += 4) {
    const n = (at(i) << 18) | (at(i + 1) << 12) | (at(i + 2) << 6) | at(i + 3);
    bytes[o++] = n >> 16;
    bytes[o++] = (n >> 8) & 255;
    bytes[o++] = n & 255;
  }
  const n = ((at(40) << 12) | (at(41) << 6) | at(42)) >> 2;
  bytes[34] = n >> 8;
  bytes[35] = n & 255;
  return CID.decode(bytes);
}

/** Parses a CID given as a string (base32 `bafy...` or any multibase CIDv1). */
export function parseCid(text: string): CID {
  return CID.parse(text);
}
