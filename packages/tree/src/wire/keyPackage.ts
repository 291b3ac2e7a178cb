import { decode, encode, type Reader, type Writer } from '@weft/codec';
import { readProtocolVersion, writeProtocolVersion } from './enums.ts';
import { readExtensions, writeExtensions, type Extension } from './extension.ts';
import { readLeafNode, writeLeafNode, type LeafNode } from './leafNode.ts';
import { MAX_KEY_BYTES, MAX_SIGNATURE_BYTES } from './limits.ts';

/** RFC 9420 section 10 KeyPackage (protocol version mls10 is implied and checked on decode). */
export interface KeyPackage {
  readonly cipherSuite: number;
  readonly initKey: Uint8Array;
  readonly leafNode: LeafNode;
  readonly extensions: readonly Extension[];
  readonly signature: Uint8Array;
}

/** The KeyPackage fields covered by its signature. */
export type KeyPackageContent = Omit<KeyPackage, 'signature'>;

function writeKeyPackageContent(w: Writer, k: KeyPackageContent): void {
  writeProtocolVersion(w);
  w.u16(k.cipherSuite).opaque(k.initKey);
  writeLeafNode(w, k.leafNode);
  writeExtensions(w, k.extensions);
}

/** Writes a KeyPackage. */
export function writeKeyPackage(w: Writer, k: KeyPackage): void {
  writeKeyPackageContent(w, k);
  w.opaque(k.signature);
}

/** Reads a KeyPackage. */
export function readKeyPackage(r: Reader): KeyPackage {
  readProtocolVersion(r);
  const cipherSuite = r.u16();
  const initKey = r.opaque(MAX_KEY_BYTES);
  const leafNode = readLeafNode(r);
  const extensions = readExtensions(r);
  const signature = r.opaque(MAX_SIGNATURE_BYTES);
  return { cipherSuite, initKey, leafNode, extensions, signature };
}

/** TLS encoding of a KeyPackage (the input of its KeyPackageRef). */
export function encodeKeyPackage(k: KeyPackage): Uint8Array {
  return encode((w) => writeKeyPackage(w, k));
}

/** Strictly decodes a KeyPackage. */
export function decodeKeyPackage(bytes: Uint8Array): KeyPackage {
  return decode(bytes, readKeyPackage);
}

/** RFC 9420 section 10 KeyPackageTBS: the bytes the KeyPackage signature covers. */
export function encodeKeyPackageTBS(k: KeyPackageContent): Uint8Array {
  return encode((w) => writeKeyPackageContent(w, k));
}
