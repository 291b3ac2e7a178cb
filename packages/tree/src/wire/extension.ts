import { varintSize, type Reader, type Writer } from '@weft/codec';
import { MAX_PAYLOAD_BYTES } from './limits.ts';

/** RFC 9420 section 13 default extension types. */
export const ExtensionType = {
  applicationId: 1,
  ratchetTree: 2,
  requiredCapabilities: 3,
  externalPub: 4,
  externalSenders: 5,
} as const;

/** RFC 9420 section 7.2 Extension: a type and opaque data (unknown types are kept as they are). */
export interface Extension {
  readonly extensionType: number;
  readonly extensionData: Uint8Array;
}

/** Writes one Extension. */
export function writeExtension(w: Writer, e: Extension): void {
  w.u16(e.extensionType).opaque(e.extensionData);
}

/** Reads one Extension. */
export function readExtension(r: Reader): Extension {
  const extensionType = r.u16();
  const extensionData = r.opaque(MAX_PAYLOAD_BYTES);
  return { extensionType, extensionData };
}

// Hot encoders (tree hashes, signatures) write vectors with a precomputed length header instead of
// Writer.vector, which builds and copies a nested buffer per vector.

/** Encoded size of `opaque data<V>`. */
export function opaqueSize(bytes: Uint8Array): number {
  return varintSize(bytes.length) + bytes.length;
}

/** Writes `Extension extensions<V>`. */
export function writeExtensions(w: Writer, list: readonly Extension[]): void {
  let size = 0;
  for (const e of list) size += 2 + opaqueSize(e.extensionData);
  w.varint(size);
  for (const e of list) writeExtension(w, e);
}

/** Reads `Extension extensions<V>`. */
export function readExtensions(r: Reader): Extension[] {
  return r.vector(readExtension, MAX_PAYLOAD_BYTES);
}

/** Writes `uint16 values<V>` (capability and required-capability lists). */
export function writeU16List(w: Writer, list: readonly number[]): void {
  w.varint(2 * list.length);
  for (const v of list) w.u16(v);
}

/** Reads `uint16 values<V>`. */
export function readU16List(r: Reader): number[] {
  return r.vector((ir) => ir.u16(), 65_536);
}
