import { type Reader, type Writer } from '@weft/codec';
import { readCredentialType, writeCredentialType } from './enums.ts';
import { opaqueSize } from './extension.ts';
import { MAX_CERT_BYTES, MAX_ID_BYTES, MAX_PAYLOAD_BYTES } from './limits.ts';

/** RFC 9420 section 5.3 Credential: a basic identity or an X.509 chain (each cert_data as DER). */
export type Credential =
  | { readonly credentialType: 'basic'; readonly identity: Uint8Array }
  | { readonly credentialType: 'x509'; readonly certificates: readonly Uint8Array[] };

/** Writes a Credential. */
export function writeCredential(w: Writer, c: Credential): void {
  writeCredentialType(w, c.credentialType);
  if (c.credentialType === 'basic') w.opaque(c.identity);
  else {
    let size = 0;
    for (const cert of c.certificates) size += opaqueSize(cert);
    w.varint(size);
    for (const cert of c.certificates) w.opaque(cert);
  }
}

/** Reads a Credential; unknown credential types are rejected. */
export function readCredential(r: Reader): Credential {
  const credentialType = readCredentialType(r);
  if (credentialType === 'basic') return { credentialType, identity: r.opaque(MAX_ID_BYTES) };
  return { credentialType, certificates: r.vector((ir) => ir.opaque(MAX_CERT_BYTES), MAX_PAYLOAD_BYTES) };
}
