import { decode, Writer, type Reader } from '@weft/codec';
import { opaqueSize, putOpaque, putU64 } from './byteLayout.ts';
import { contentTypeToNumber, MLS10, readProtocolVersion, readWireFormat, wireFormatToNumber, writeProtocolVersion, writeWireFormat } from './enums.ts';
import { framedContentCapacity, readPublicMessage, writePublicMessage, type PublicMessage } from './framedContent.ts';
import { readGroupInfo, writeGroupInfo, type GroupInfo } from './groupInfo.ts';
import { readKeyPackage, writeKeyPackage, type KeyPackage } from './keyPackage.ts';
import { readPrivateMessage, writePrivateMessage, type PrivateMessage } from './privateMessage.ts';
import { readWelcome, writeWelcome, type Welcome } from './welcome.ts';

/** RFC 9420 section 6 MLSMessage (version mls10 implied and checked), tagged by wire format. */
export type MlsMessage =
  | { readonly wireFormat: 'public_message'; readonly publicMessage: PublicMessage }
  | { readonly wireFormat: 'private_message'; readonly privateMessage: PrivateMessage }
  | { readonly wireFormat: 'welcome'; readonly welcome: Welcome }
  | { readonly wireFormat: 'group_info'; readonly groupInfo: GroupInfo }
  | { readonly wireFormat: 'key_package'; readonly keyPackage: KeyPackage };

/** Writes an MLSMessage. */
export function writeMlsMessage(w: Writer, m: MlsMessage): void {
  writeProtocolVersion(w);
  writeWireFormat(w, m.wireFormat);
  switch (m.wireFormat) {
    case 'public_message':
      return writePublicMessage(w, m.publicMessage);
    case 'private_message':
      return writePrivateMessage(w, m.privateMessage);
    case 'welcome':
      return writeWelcome(w, m.welcome);
    case 'group_info':
      return writeGroupInfo(w, m.groupInfo);
    case 'key_package':
      return writeKeyPackage(w, m.keyPackage);
  }
}

/** Reads an MLSMessage; unknown versions and wire formats are rejected. */
export function readMlsMessage(r: Reader): MlsMessage {
  readProtocolVersion(r);
  const wireFormat = readWireFormat(r);
  switch (wireFormat) {
    case 'public_message':
      return { wireFormat, publicMessage: readPublicMessage(r) };
    case 'private_message':
      return { wireFormat, privateMessage: readPrivateMessage(r) };
    case 'welcome':
      return { wireFormat, welcome: readWelcome(r) };
    case 'group_info':
      return { wireFormat, groupInfo: readGroupInfo(r) };
    case 'key_package':
      return { wireFormat, keyPackage: readKeyPackage(r) };
  }
}

/** TLS encoding of an MLSMessage. */
export function encodeMlsMessage(m: MlsMessage): Uint8Array {
  // A PublicMessage commit is a few KB: size the buffer for it rather than let it grow.
  const w = new Writer(m.wireFormat === 'public_message' ? framedContentCapacity(m.publicMessage.content, 256) : 256);
  writeMlsMessage(w, m);
  return w.finish();
}

/** encodeMlsMessage of a PrivateMessage, written straight into a buffer of the exact size (the per-message path). */
export function encodePrivateMlsMessage(m: PrivateMessage): Uint8Array {
  const out = new Uint8Array(
    4 + opaqueSize(m.groupId.length) + 8 + 1 + opaqueSize(m.authenticatedData.length) + opaqueSize(m.encryptedSenderData.length) + opaqueSize(m.ciphertext.length),
  );
  const wire = wireFormatToNumber('private_message');
  out[0] = MLS10 >> 8;
  out[1] = MLS10 & 0xff;
  out[2] = wire >> 8;
  out[3] = wire & 0xff;
  let o = putU64(out, putOpaque(out, 4, m.groupId), m.epoch);
  out[o++] = contentTypeToNumber(m.contentType);
  o = putOpaque(out, o, m.authenticatedData);
  o = putOpaque(out, o, m.encryptedSenderData);
  putOpaque(out, o, m.ciphertext);
  return out;
}

/** Strictly decodes an MLSMessage. */
export function decodeMlsMessage(bytes: Uint8Array): MlsMessage {
  return decode(bytes, readMlsMessage);
}
