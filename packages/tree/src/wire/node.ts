import { CodecError, decode, encode, type Reader, type Writer } from '@weft/codec';
import { readNodeType, writeNodeType } from './enums.ts';
import { readLeafNode, writeLeafNode, type LeafNode } from './leafNode.ts';
import { MAX_LEAVES, MAX_PAYLOAD_BYTES } from './limits.ts';
import { readParentNode, writeParentNode, type ParentNode } from './parentNode.ts';

/** RFC 9420 section 7.8 Node: a leaf or a parent, tagged by node_type. */
export type Node =
  | { readonly nodeType: 'leaf'; readonly leafNode: LeafNode }
  | { readonly nodeType: 'parent'; readonly parentNode: ParentNode };

/** Writes a Node. */
export function writeNode(w: Writer, n: Node): void {
  writeNodeType(w, n.nodeType);
  if (n.nodeType === 'leaf') writeLeafNode(w, n.leafNode);
  else writeParentNode(w, n.parentNode);
}

/** Reads a Node; unknown node types are rejected. */
export function readNode(r: Reader): Node {
  const nodeType = readNodeType(r);
  if (nodeType === 'leaf') return { nodeType, leafNode: readLeafNode(r) };
  return { nodeType, parentNode: readParentNode(r) };
}

/** Writes `optional<Node> ratchet_tree<V>` (RFC 9420 section 12.4.3.3), nodes as given. */
export function writeRatchetTreeNodes(w: Writer, nodes: readonly (Node | null)[]): void {
  w.vector(nodes, (iw, n) => iw.optional(n, writeNode));
}

/**
 * Reads `optional<Node> ratchet_tree<V>` as a flat node list (no padding, no semantic checks
 * beyond each node's type matching its position: leaves at even indices, parents at odd ones).
 */
export function readRatchetTreeNodes(r: Reader): (Node | null)[] {
  let i = 0;
  return r.vector((ir) => {
    const at = ir.offset;
    if (i >= 2 * MAX_LEAVES) throw new CodecError('overlong', `ratchet tree has more than ${MAX_LEAVES} leaves`, at);
    const n = ir.optional(readNode);
    if (n !== null && (n.nodeType === 'leaf') !== (i % 2 === 0)) {
      throw new CodecError('invalid_value', `node ${i} is a ${n.nodeType} node at a ${i % 2 === 0 ? 'leaf' : 'parent'} position`, at);
    }
    i++;
    return n;
  }, MAX_PAYLOAD_BYTES);
}

/** TLS encoding of a ratchet_tree node list. */
export function encodeRatchetTreeNodes(nodes: readonly (Node | null)[]): Uint8Array {
  return encode((w) => writeRatchetTreeNodes(w, nodes));
}

/** Strictly decodes a ratchet_tree node list. */
export function decodeRatchetTreeNodes(bytes: Uint8Array): (Node | null)[] {
  return decode(bytes, readRatchetTreeNodes);
}
