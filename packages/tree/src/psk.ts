// RFC 9420 section 8.4: pre-shared keys. The PSKs a Commit or Welcome names are chained, in order,
// into a single psk_secret that enters the key schedule after the joiner_secret.

import type { CipherSuite } from '@weft/crypto';
import { expandWithLabel } from '@weft/crypto';
import { Writer } from '@weft/codec';
import { writePreSharedKeyID, type PreSharedKeyID } from './wire/proposal.ts';

/** One PSK to inject: its identifier (as carried in the PreSharedKey proposal) and its secret value. */
export interface PskInput {
  readonly id: PreSharedKeyID;
  readonly psk: Uint8Array;
}

/** Serialized PSKLabel { PreSharedKeyID id; uint16 index; uint16 count; }. */
export function encodePskLabel(id: PreSharedKeyID, index: number, count: number): Uint8Array {
  const w = new Writer(64);
  writePreSharedKeyID(w, id);
  return w.u16(index).u16(count).finish();
}

/**
 * psk_secret over the given PSKs in order (RFC 9420 section 8.4); all-zero of length Nh when there are none.
 * psk_input_i = ExpandWithLabel(Extract(0, psk_i), "derived psk", PSKLabel_i, Nh); acc = Extract(psk_input_i, acc).
 */
export function computePskSecret(cs: CipherSuite, psks: readonly PskInput[]): Uint8Array {
  const zero = new Uint8Array(cs.Nh);
  let acc: Uint8Array = zero;
  psks.forEach((p, i) => {
    const extracted = cs.kdfExtract(zero, p.psk);
    const input = expandWithLabel(cs, extracted, 'derived psk', encodePskLabel(p.id, i, psks.length), cs.Nh);
    acc = cs.kdfExtract(input, acc);
  });
  return acc;
}
