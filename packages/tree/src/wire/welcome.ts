import { decode, encode, type Reader, type Writer } from '@weft/codec';
import { readHPKECiphertext, writeHPKECiphertext, type HPKECiphertext } from './hpkeCiphertext.ts';
import { MAX_HASH_BYTES, MAX_PAYLOAD_BYTES } from './limits.ts';
import { readPreSharedKeyID, writePreSharedKeyID, type PreSharedKeyID } from './proposal.ts';

/** RFC 9420 section 12.4.3.1 GroupSecrets; `pathSecret` is the optional PathSecret's value. */
export interface GroupSecrets {
  readonly joinerSecret: Uint8Array;
  readonly pathSecret: Uint8Array | null;
  readonly psks: readonly PreSharedKeyID[];
}

/** RFC 9420 section 12.4.3.1 EncryptedGroupSecrets; `newMember` is a KeyPackageRef. */
export interface EncryptedGroupSecrets {
  readonly newMember: Uint8Array;
  readonly encryptedGroupSecrets: HPKECiphertext;
}

/** RFC 9420 section 12.4.3.1 Welcome. */
export interface Welcome {
  readonly cipherSuite: number;
  readonly secrets: readonly EncryptedGroupSecrets[];
  readonly encryptedGroupInfo: Uint8Array;
}

/** Writes a GroupSecrets. */
export function writeGroupSecrets(w: Writer, g: GroupSecrets): void {
  w.opaque(g.joinerSecret);
  w.optional(g.pathSecret, (iw, ps) => iw.opaque(ps));
  w.vector(g.psks, writePreSharedKeyID);
}

/** Reads a GroupSecrets. */
export function readGroupSecrets(r: Reader): GroupSecrets {
  const joinerSecret = r.opaque(MAX_HASH_BYTES);
  const pathSecret = r.optional((ir) => ir.opaque(MAX_HASH_BYTES));
  const psks = r.vector(readPreSharedKeyID, MAX_PAYLOAD_BYTES);
  return { joinerSecret, pathSecret, psks };
}

/** TLS encoding of a GroupSecrets (the Welcome's HPKE plaintext). */
export function encodeGroupSecrets(g: GroupSecrets): Uint8Array {
  return encode((w) => writeGroupSecrets(w, g));
}

/** Strictly decodes a GroupSecrets. */
export function decodeGroupSecrets(bytes: Uint8Array): GroupSecrets {
  return decode(bytes, readGroupSecrets);
}

/** TLS encoding of PathSecret (RFC 9420 section 7.6), the plaintext of each encrypted_path_secret. */
export function encodePathSecret(pathSecret: Uint8Array): Uint8Array {
  return encode((w) => w.opaque(pathSecret));
}

/** Strictly decodes a PathSecret and returns its value. */
export function decodePathSecret(bytes: Uint8Array): Uint8Array {
  return decode(bytes, (r) => r.opaque(MAX_HASH_BYTES));
}

/** Writes an EncryptedGroupSecrets. */
export function writeEncryptedGroupSecrets(w: Writer, e: EncryptedGroupSecrets): void {
  w.opaque(e.newMember);
  writeHPKECiphertext(w, e.encryptedGroupSecrets);
}

/** Reads an EncryptedGroupSecrets. */
export function readEncryptedGroupSecrets(r: Reader): EncryptedGroupSecrets {
  const newMember = r.opaque(MAX_HASH_BYTES);
  return { newMember, encryptedGroupSecrets: readHPKECiphertext(r) };
}

/** Writes a Welcome. */
export function writeWelcome(w: Writer, m: Welcome): void {
  w.u16(m.cipherSuite);
  w.vector(m.secrets, writeEncryptedGroupSecrets);
  w.opaque(m.encryptedGroupInfo);
}

/** Reads a Welcome. */
export function readWelcome(r: Reader): Welcome {
  const cipherSuite = r.u16();
  const secrets = r.vector(readEncryptedGroupSecrets, MAX_PAYLOAD_BYTES);
  const encryptedGroupInfo = r.opaque(MAX_PAYLOAD_BYTES);
  return { cipherSuite, secrets, encryptedGroupInfo };
}

/** TLS encoding of a Welcome. */
export function encodeWelcome(m: Welcome): Uint8Array {
  return encode((w) => writeWelcome(w, m));
}

/** Strictly decodes a Welcome. */
export function decodeWelcome(bytes: Uint8Array): Welcome {
  return decode(bytes, readWelcome);
}
