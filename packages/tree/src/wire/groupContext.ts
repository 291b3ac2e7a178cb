import { decode, encode, type Reader, type Writer } from '@weft/codec';
import { readProtocolVersion, writeProtocolVersion } from './enums.ts';
import { readExtensions, writeExtensions, type Extension } from './extension.ts';
import { MAX_HASH_BYTES, MAX_ID_BYTES } from './limits.ts';

/** RFC 9420 section 8.1 GroupContext (version mls10 implied). */
export interface GroupContext {
  readonly cipherSuite: number;
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly treeHash: Uint8Array;
  readonly confirmedTranscriptHash: Uint8Array;
  readonly extensions: readonly Extension[];
}

/** Writes a GroupContext. */
export function writeGroupContext(w: Writer, g: GroupContext): void {
  writeProtocolVersion(w);
  w.u16(g.cipherSuite).opaque(g.groupId).u64(g.epoch).opaque(g.treeHash).opaque(g.confirmedTranscriptHash);
  writeExtensions(w, g.extensions);
}

/** Reads a GroupContext. */
export function readGroupContext(r: Reader): GroupContext {
  readProtocolVersion(r);
  const cipherSuite = r.u16();
  const groupId = r.opaque(MAX_ID_BYTES);
  const epoch = r.u64();
  const treeHash = r.opaque(MAX_HASH_BYTES);
  const confirmedTranscriptHash = r.opaque(MAX_HASH_BYTES);
  const extensions = readExtensions(r);
  return { cipherSuite, groupId, epoch, treeHash, confirmedTranscriptHash, extensions };
}

// A new epoch's GroupContext is encoded for the key schedule and again for the epoch's framing
// context; GroupContext values are immutable, so the first encoding is kept, weakly.
const encodings = new WeakMap<GroupContext, Uint8Array>();

/** TLS encoding of a GroupContext (the key schedule's context input), a fresh copy the caller may change. */
export function encodeGroupContext(g: GroupContext): Uint8Array {
  return groupContextBytes(g).slice();
}

/** The encoding of a GroupContext, cached per object (the caller must not change it). */
export function groupContextBytes(g: GroupContext): Uint8Array {
  let bytes = encodings.get(g);
  if (bytes === undefined) {
    bytes = encode((w) => writeGroupContext(w, g));
    encodings.set(g, bytes);
  }
  return bytes;
}

/** Strictly decodes a GroupContext. */
export function decodeGroupContext(bytes: Uint8Array): GroupContext {
  return decode(bytes, readGroupContext);
}
