import { createHash } from 'node:crypto';
import { CID } from 'multiformats/cid';
import * as Digest from 'multiformats/hashes/digest';
import { fromHex, toHex } from '@weft/codec';

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

/** Hex of the CID bytes: the store's key form, whose string order is the CID byte order. */
export function cidKey(cid: CID): string {
  return toHex(cid.bytes);
}

/** CID of a store key produced by `cidKey`. */
export function cidFromKey(key: string): CID {
  return CID.decode(fromHex(key));
}

/** Parses a CID given as a string (base32 `bafy...` or any multibase CIDv1). */
export function parseCid(text: string): CID {
  return CID.parse(text);
}
