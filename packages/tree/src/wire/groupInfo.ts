import { decode, encode, type Reader, type Writer } from '@weft/codec';
import { readExtensions, writeExtensions, type Extension } from './extension.ts';
import { readGroupContext, writeGroupContext, type GroupContext } from './groupContext.ts';
import { MAX_HASH_BYTES, MAX_SIGNATURE_BYTES } from './limits.ts';

/** RFC 9420 section 12.4.3 GroupInfo; `signer` is the signer's leaf index. */
export interface GroupInfo {
  readonly groupContext: GroupContext;
  readonly extensions: readonly Extension[];
  readonly confirmationTag: Uint8Array;
  readonly signer: number;
  readonly signature: Uint8Array;
}

/** The GroupInfo fields covered by its signature. */
export type GroupInfoContent = Omit<GroupInfo, 'signature'>;

function writeGroupInfoContent(w: Writer, g: GroupInfoContent): void {
  writeGroupContext(w, g.groupContext);
  writeExtensions(w, g.extensions);
  w.opaque(g.confirmationTag).u32(g.signer);
}

/** Writes a GroupInfo. */
export function writeGroupInfo(w: Writer, g: GroupInfo): void {
  writeGroupInfoContent(w, g);
  w.opaque(g.signature);
}

/** Reads a GroupInfo. */
export function readGroupInfo(r: Reader): GroupInfo {
  const groupContext = readGroupContext(r);
  const extensions = readExtensions(r);
  const confirmationTag = r.opaque(MAX_HASH_BYTES);
  const signer = r.u32();
  const signature = r.opaque(MAX_SIGNATURE_BYTES);
  return { groupContext, extensions, confirmationTag, signer, signature };
}

/** TLS encoding of a GroupInfo. */
export function encodeGroupInfo(g: GroupInfo): Uint8Array {
  return encode((w) => writeGroupInfo(w, g));
}

/** Strictly decodes a GroupInfo. */
export function decodeGroupInfo(bytes: Uint8Array): GroupInfo {
  return decode(bytes, readGroupInfo);
}

/** RFC 9420 section 12.4.3 GroupInfoTBS: the bytes the GroupInfo signature covers. */
export function encodeGroupInfoTBS(g: GroupInfoContent): Uint8Array {
  return encode((w) => writeGroupInfoContent(w, g));
}
