import { type Reader, type Writer } from '@weft/codec';
import { MAX_KEY_BYTES, MAX_PAYLOAD_BYTES } from './limits.ts';

/** RFC 9420 section 7.6 HPKECiphertext. */
export interface HPKECiphertext {
  readonly kemOutput: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** Writes an HPKECiphertext. */
export function writeHPKECiphertext(w: Writer, c: HPKECiphertext): void {
  w.opaque(c.kemOutput).opaque(c.ciphertext);
}

/** Reads an HPKECiphertext. */
export function readHPKECiphertext(r: Reader): HPKECiphertext {
  const kemOutput = r.opaque(MAX_KEY_BYTES);
  const ciphertext = r.opaque(MAX_PAYLOAD_BYTES);
  return { kemOutput, ciphertext };
}
