import { decode, encode, type Reader, type Writer } from '@weft/codec';
import { readHPKECiphertext, writeHPKECiphertext, type HPKECiphertext } from './hpkeCiphertext.ts';
import { readLeafNode, writeLeafNode, type LeafNode } from './leafNode.ts';
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

/** Writes an UpdatePathNode. */
export function writeUpdatePathNode(w: Writer, n: UpdatePathNode): void {
  w.opaque(n.encryptionKey);
  w.vector(n.encryptedPathSecret, writeHPKECiphertext);
}

/** Reads an UpdatePathNode. */
export function readUpdatePathNode(r: Reader): UpdatePathNode {
  const encryptionKey = r.opaque(MAX_KEY_BYTES);
  const encryptedPathSecret = r.vector(readHPKECiphertext, MAX_PAYLOAD_BYTES);
  return { encryptionKey, encryptedPathSecret };
}

/** Writes an UpdatePath. */
export function writeUpdatePath(w: Writer, p: UpdatePath): void {
  writeLeafNode(w, p.leafNode);
  w.vector(p.nodes, writeUpdatePathNode);
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
