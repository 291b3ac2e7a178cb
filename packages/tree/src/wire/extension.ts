import { type Reader, type Writer } from '@weft/codec';
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

/** Writes `Extension extensions<V>`. */
export function writeExtensions(w: Writer, list: readonly Extension[]): void {
  w.vector(list, writeExtension);
}

/** Reads `Extension extensions<V>`. */
export function readExtensions(r: Reader): Extension[] {
  return r.vector(readExtension, MAX_PAYLOAD_BYTES);
}

/** Writes `uint16 values<V>` (capability and required-capability lists). */
export function writeU16List(w: Writer, list: readonly number[]): void {
  w.vector(list, (iw, v) => iw.u16(v));
}

/** Reads `uint16 values<V>`. */
export function readU16List(r: Reader): number[] {
  return r.vector((ir) => ir.u16(), 65_536);
}
