import { decode, encode, type Reader } from '@weft/codec';
import { readCredential, writeCredential, type Credential } from './credential.ts';
import { MAX_KEY_BYTES, MAX_PAYLOAD_BYTES } from './limits.ts';

// Bodies of the RFC 9420 section 13 extensions whose extension_data is itself a struct.
// (ratchet_tree is in node.ts, required_capabilities in capabilities.ts, application_id is opaque bytes.)

/** RFC 9420 section 12.1.8.1 ExternalSender. */
export interface ExternalSender {
  readonly signatureKey: Uint8Array;
  readonly credential: Credential;
}

function readExternalSender(r: Reader): ExternalSender {
  const signatureKey = r.opaque(MAX_KEY_BYTES);
  return { signatureKey, credential: readCredential(r) };
}

/** extension_data of the external_senders extension: `ExternalSender external_senders<V>`. */
export function encodeExternalSenders(list: readonly ExternalSender[]): Uint8Array {
  return encode((w) =>
    w.vector(list, (iw, s) => {
      iw.opaque(s.signatureKey);
      writeCredential(iw, s.credential);
    }),
  );
}

/** Strictly decodes the external_senders extension_data. */
export function decodeExternalSenders(bytes: Uint8Array): ExternalSender[] {
  return decode(bytes, (r) => r.vector(readExternalSender, MAX_PAYLOAD_BYTES));
}

/** extension_data of the external_pub extension (RFC 9420 section 12.4.3.2): `HPKEPublicKey external_pub`. */
export function encodeExternalPub(externalPub: Uint8Array): Uint8Array {
  return encode((w) => w.opaque(externalPub));
}

/** Strictly decodes the external_pub extension_data. */
export function decodeExternalPub(bytes: Uint8Array): Uint8Array {
  return decode(bytes, (r) => r.opaque(MAX_KEY_BYTES));
}
