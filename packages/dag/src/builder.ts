import { EVENT_VERSION } from './event.ts';
import type { CheckedEvent, DagEvent, EventInput, SignatureSuite } from './event.ts';
import { computeCid } from './cid.ts';
import { encodeEvent, encodeSigningPayload } from './eventCodec.ts';
import { compareBytes } from '@weft/codec';

/** An author device able to sign events: the group's suite and the device's signature key pair. */
export interface EventSigner {
  readonly suite: SignatureSuite;
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/**
 * Builds and signs an event. Parents and resolves are sorted by CID bytes and de-duplicated; the author
 * key is the signer's public key. The result is not validated against a store.
 */
export function buildEvent(input: Omit<EventInput, 'author'> & { leaf?: number }, signer: EventSigner): CheckedEvent {
  const sortCids = <T extends { bytes: Uint8Array; equals(o: unknown): boolean }>(cids: readonly T[]): T[] =>
    [...cids].sort((a, b) => compareBytes(a.bytes, b.bytes)).filter((c, i, all) => i === 0 || !c.equals(all[i - 1]));
  const { leaf, ...rest } = input;
  const unsigned: Omit<DagEvent, 'sig'> = {
    ...rest,
    v: EVENT_VERSION,
    author: leaf === undefined ? { key: signer.publicKey } : { key: signer.publicKey, leaf },
    parents: sortCids(input.parents),
    ...(input.resolves ? { resolves: sortCids(input.resolves) } : {}),
  };
  const sig = signer.suite.sign(signer.privateKey, encodeSigningPayload(unsigned));
  const event: DagEvent = { ...unsigned, sig };
  const bytes = encodeEvent(event);
  return { cid: computeCid(bytes), bytes, event };
}
