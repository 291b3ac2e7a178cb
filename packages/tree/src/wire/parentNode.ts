import { type Reader, type Writer } from '@weft/codec';
import { MAX_HASH_BYTES, MAX_KEY_BYTES, MAX_PAYLOAD_BYTES } from './limits.ts';

/** RFC 9420 section 7.1 ParentNode; `unmergedLeaves` holds leaf indices. */
export interface ParentNode {
  readonly encryptionKey: Uint8Array;
  readonly parentHash: Uint8Array;
  readonly unmergedLeaves: readonly number[];
}

/** Writes a ParentNode. */
export function writeParentNode(w: Writer, p: ParentNode): void {
  w.opaque(p.encryptionKey).opaque(p.parentHash);
  w.varint(4 * p.unmergedLeaves.length);
  for (const l of p.unmergedLeaves) w.u32(l);
}

/** Reads a ParentNode. */
export function readParentNode(r: Reader): ParentNode {
  const encryptionKey = r.opaque(MAX_KEY_BYTES);
  const parentHash = r.opaque(MAX_HASH_BYTES);
  const unmergedLeaves = r.vector((ir) => ir.u32(), MAX_PAYLOAD_BYTES);
  return { encryptionKey, parentHash, unmergedLeaves };
}
