import { decode, encode, Writer, type Reader } from '@weft/codec';
import { readCapabilities, writeCapabilities, type Capabilities } from './capabilities.ts';
import { readCredential, writeCredential, type Credential } from './credential.ts';
import { readLeafNodeSourceType, writeLeafNodeSourceType } from './enums.ts';
import { readExtensions, writeExtensions, type Extension } from './extension.ts';
import { joinBytes, opaqueSize, putOpaque, putU32, readWithBytes } from './byteLayout.ts';
import { MAX_HASH_BYTES, MAX_KEY_BYTES, MAX_SIGNATURE_BYTES } from './limits.ts';

/** RFC 9420 section 7.2 Lifetime: validity window in seconds since the Unix epoch. */
export interface Lifetime {
  readonly notBefore: bigint;
  readonly notAfter: bigint;
}

/** Where a LeafNode came from, with the field each source carries (RFC 9420 section 7.2). */
export type LeafNodeSource =
  | { readonly type: 'key_package'; readonly lifetime: Lifetime }
  | { readonly type: 'update' }
  | { readonly type: 'commit'; readonly parentHash: Uint8Array };

/** RFC 9420 section 7.2 LeafNode. */
export interface LeafNode {
  readonly encryptionKey: Uint8Array;
  readonly signatureKey: Uint8Array;
  readonly credential: Credential;
  readonly capabilities: Capabilities;
  readonly leafNodeSource: LeafNodeSource;
  readonly extensions: readonly Extension[];
  readonly signature: Uint8Array;
}

/** The LeafNode fields covered by its signature (everything but `signature`). */
export type LeafNodeContent = Omit<LeafNode, 'signature'>;

/** Writes a Lifetime. */
export function writeLifetime(w: Writer, l: Lifetime): void {
  w.u64(l.notBefore).u64(l.notAfter);
}

/** Reads a Lifetime. */
export function readLifetime(r: Reader): Lifetime {
  const notBefore = r.u64();
  const notAfter = r.u64();
  return { notBefore, notAfter };
}

function writeLeafNodeContent(w: Writer, n: LeafNodeContent): void {
  w.opaque(n.encryptionKey).opaque(n.signatureKey);
  writeCredential(w, n.credential);
  writeCapabilities(w, n.capabilities);
  const src = n.leafNodeSource;
  writeLeafNodeSourceType(w, src.type);
  if (src.type === 'key_package') writeLifetime(w, src.lifetime);
  else if (src.type === 'commit') w.opaque(src.parentHash);
  writeExtensions(w, n.extensions);
}

// LeafNodes are immutable by convention and encoded again and again (tree hashes, ratchet_tree
// extensions, UpdatePaths), so each object's encoding is kept while the object lives; a decoded
// LeafNode keeps the bytes it was read from (the decoder is strict: they are its encoding).
const encodedLeafNodes = new WeakMap<object, Uint8Array>();

/** Writes a LeafNode. */
export function writeLeafNode(w: Writer, n: LeafNode): void {
  w.raw(leafNodeBytes(n));
}

/** Reads a LeafNode; unknown leaf_node_source and credential types are rejected. */
export function readLeafNode(r: Reader): LeafNode {
  const [leaf, bytes] = readWithBytes(r, readLeafNodeFields);
  encodedLeafNodes.set(leaf, bytes);
  return leaf;
}

/**
 * The LeafNode of `content` with `signature`, its encoding cached from `tbs` (the LeafNodeTBS just
 * signed, which begins with the content's encoding): signing a new leaf encodes its content once.
 */
export function attachLeafNodeSignature(content: LeafNodeContent, signature: Uint8Array, tbs: Uint8Array, groupId: Uint8Array): LeafNode {
  const leaf: LeafNode = { ...content, signature };
  const contentLength = content.leafNodeSource.type === 'key_package' ? tbs.length : tbs.length - opaqueSize(groupId.length) - 4;
  const bytes = new Uint8Array(contentLength + opaqueSize(signature.length));
  bytes.set(tbs.subarray(0, contentLength));
  putOpaque(bytes, contentLength, signature);
  encodedLeafNodes.set(leaf, bytes);
  return leaf;
}

/** The encoding of a LeafNode (cached per object; the caller must not change it). */
export function leafNodeBytes(n: LeafNode): Uint8Array {
  let bytes = encodedLeafNodes.get(n);
  if (bytes === undefined) {
    const inner = new Writer(512);
    writeLeafNodeContent(inner, n);
    inner.opaque(n.signature);
    bytes = inner.finish();
    encodedLeafNodes.set(n, bytes);
  }
  return bytes;
}

function readLeafNodeFields(r: Reader): LeafNode {
  const encryptionKey = r.opaque(MAX_KEY_BYTES);
  const signatureKey = r.opaque(MAX_KEY_BYTES);
  const credential = readCredential(r);
  const capabilities = readCapabilities(r);
  const type = readLeafNodeSourceType(r);
  let leafNodeSource: LeafNodeSource;
  if (type === 'key_package') leafNodeSource = { type, lifetime: readLifetime(r) };
  else if (type === 'commit') leafNodeSource = { type, parentHash: r.opaque(MAX_HASH_BYTES) };
  else leafNodeSource = { type };
  const extensions = readExtensions(r);
  const signature = r.opaque(MAX_SIGNATURE_BYTES);
  return { encryptionKey, signatureKey, credential, capabilities, leafNodeSource, extensions, signature };
}

/** TLS encoding of a LeafNode. */
export function encodeLeafNode(n: LeafNode): Uint8Array {
  return encode((w) => writeLeafNode(w, n));
}

/** Strictly decodes a LeafNode. */
export function decodeLeafNode(bytes: Uint8Array): LeafNode {
  return decode(bytes, readLeafNode);
}

/**
 * RFC 9420 section 7.2 LeafNodeTBS: the bytes a LeafNode signature covers. `group_id` and
 * `leaf_index` are appended for the update and commit sources (the tree position binds the leaf).
 */
export function encodeLeafNodeTBS(n: LeafNodeContent, groupId: Uint8Array, leafIndex: number): Uint8Array {
  // A LeafNode is its content followed by opaque signature<V>: when its encoding is known, the
  // content's bytes are that encoding without the signature.
  const whole = encodedLeafNodes.get(n);
  const signature = (n as Partial<LeafNode>).signature;
  if (whole !== undefined && signature instanceof Uint8Array) {
    const content = whole.subarray(0, whole.length - opaqueSize(signature.length));
    if (n.leafNodeSource.type === 'key_package') return content.slice();
    const tail = new Uint8Array(opaqueSize(groupId.length) + 4);
    putU32(tail, putOpaque(tail, 0, groupId), leafIndex);
    return joinBytes([content, tail]);
  }
  return encode((w) => {
    writeLeafNodeContent(w, n);
    if (n.leafNodeSource.type !== 'key_package') w.opaque(groupId).u32(leafIndex);
  });
}

