import { createHash } from 'node:crypto';
import { CID } from 'multiformats/cid';
import * as Digest from 'multiformats/hashes/digest';

/** Multicodec code of DAG-CBOR. */
export const DAG_CBOR_CODE = 0x71;
/** Multihash code of SHA2-256. */
export const SHA2_256_CODE = 0x12;

/** CIDv1 (dag-cbor, sha2-256) of the given block bytes. */
export function computeCid(bytes: Uint8Array): CID {
  // node:crypto keeps hashing synchronous, so validation stays a pure synchronous function.
  const hash = createHash('sha256').update(bytes).digest();
  return CID.createV1(DAG_CBOR_CODE, Digest.create(SHA2_256_CODE, new Uint8Array(hash.buffer, hash.byteOffset, hash.byteLength)));
}

/** True when `cid` is the only CID form events may use: v1, dag-cbor, sha2-256 of 32 bytes. */
export function isEventCid(cid: CID): boolean {
  return cid.version === 1 && cid.code === DAG_CBOR_CODE && cid.multihash.code === SHA2_256_CODE && cid.multihash.size === 32;
}

// Store keys name an event by its sha2-256 digest only (every event CID shares the prefix
// 01 71 12 20), in base64 with an alphabet in ASCII order, so key order is CID byte order and a
// key is 43 characters instead of 72 in hex.
const ORDERED = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const toOrdered = new Map([...URL_SAFE].map((c, i) => [c, ORDERED[i] as string]));
const fromOrdered = new Map([...ORDERED].map((c, i) => [c, URL_SAFE[i] as string]));
const CID_PREFIX = new Uint8Array([0x01, DAG_CBOR_CODE, SHA2_256_CODE, 0x20]);

function translate(text: string, table: Map<string, string>): string {
  let out = '';
  for (const ch of text) out += table.get(ch) ?? ch;
  return out;
}

/**
 * Store key of an event CID: order-preserving base64 of its digest (CID byte order = key order).
 * Any other CID gets a key starting with '!', which names no stored event.
 */
export function cidKey(cid: CID): string {
  const b = cid.bytes;
  if (b.length !== 36 || b[0] !== 1 || b[1] !== DAG_CBOR_CODE || b[2] !== SHA2_256_CODE || b[3] !== 0x20) {
    return `!${Buffer.from(b).toString('hex')}`;
  }
  return translate(Buffer.from(b.buffer, b.byteOffset + 4, 32).toString('base64url'), toOrdered);
}

/** CID of a store key produced by `cidKey`. */
export function cidFromKey(key: string): CID {
  const digest = Buffer.from(translate(key, fromOrdered), 'base64url');
  const bytes = new Uint8Array(36);
  bytes.set(CID_PREFIX, 0);
  bytes.set(digest, 4);
  return CID.decode(bytes);
}

/** Parses a CID given as a string (base32 `bafy...` or any multibase CIDv1). */
export function parseCid(text: string): CID {
  return CID.parse(text);
}
