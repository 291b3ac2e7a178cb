import { decode, encode, varintSize, type Reader, type Writer } from '@weft/codec';
import { opaqueSize } from './byteLayout.ts';
import { readHPKECiphertext, writeHPKECiphertext, type HPKECiphertext } from './hpkeCiphertext.ts';
import { leafNodeBytes, readLeafNode, type LeafNode } from './leafNode.ts';
import { MAX_KEY_BYTES, MAX_PAYLOAD_BYTES } from './limits.ts';

/** RFC 9420 section 7.6 UpdatePathNode: a new node key and the path secret encrypted to each copath resolution member. */
export interface UpdatePathNode {
  readonly encryptionKey: Uint8Array;
  readonly encryptedPathSecret: readonly HPKECiphertext[];
}

/** RFC 9420 section 7.6 UpdatePath: the committer's new leaf and one node per filtered direct-path node. */
export interface UpdatePath {
  readonly leafNode: LeafNode;
  readonly nodes: readonly UpdatePathNode[];
}

// A commit's UpdatePath is written with precomputed vector length headers (the items' sizes are
// known from their fields) instead of Writer.vector, which builds and copies a nested buffer per
// vector: one per path node and one for the node list.

/** Bytes of the encrypted_path_secret vector's body. */
function ciphertextsSize(cts: readonly HPKECiphertext[]): number {
  let n = 0;
  for (const c of cts) n += opaqueSize(c.kemOutput.length) + opaqueSize(c.ciphertext.length);
  return n;
}

/** Encoded size of an UpdatePathNode. */
function updatePathNodeSize(n: UpdatePathNode): number {
  const inner = ciphertextsSize(n.encryptedPathSecret);
  return opaqueSize(n.encryptionKey.length) + varintSize(inner) + inner;
}

/** Encoded size of an UpdatePath. */
export function updatePathSize(p: UpdatePath): number {
  let nodes = 0;
  for (const n of p.nodes) nodes += updatePathNodeSize(n);
  return leafNodeBytes(p.leafNode).length + varintSize(nodes) + nodes;
}

/** Writes an UpdatePathNode. */
export function writeUpdatePathNode(w: Writer, n: UpdatePathNode): void {
  w.opaque(n.encryptionKey);
  w.varint(ciphertextsSize(n.encryptedPathSecret));
  for (const c of n.encryptedPathSecret) writeHPKECiphertext(w, c);
}

/** Reads an UpdatePathNode. */
export function readUpdatePathNode(r: Reader): UpdatePathNode {
  const encryptionKey = r.opaque(MAX_KEY_BYTES);
  const encryptedPathSecret = r.vector(readHPKECiphertext, MAX_PAYLOAD_BYTES);
  return { encryptionKey, encryptedPathSecret };
}

/** Writes an UpdatePath. */
export function writeUpdatePath(w: Writer, p: UpdatePath): void {
  w.raw(leafNodeBytes(p.leafNode));
  let nodes = 0;
  for (const n of p.nodes) nodes += updatePathNodeSize(n);
  w.varint(nodes);
  for (const n of p.nodes) writeUpdatePathNode(w, n);
}

/** Reads an UpdatePath. */
export function readUpdatePath(r: Reader): UpdatePath {
  const leafNode = readLeafNode(r);
  const nodes = r.vector(readUpdatePathNode, MAX_PAYLOAD_BYTES);
  return { leafNode, nodes };
}

/** TLS encoding of an UpdatePath. */
export function encodeUpdatePath(p: UpdatePath): Uint8Array {
  return encode((w) => writeUpdatePath(w, p));
}

/** Strictly decodes an UpdatePath. */
export function decodeUpdatePath(bytes: Uint8Array): UpdatePath {
  return decode(bytes, readUpdatePath);
}
