// The MLS group_id of a Weft group. A group is named by its genesis CID (36 bytes: CIDv1,
// dag-cbor, sha2-256 multihash), but MLS repeats group_id in every handshake and message, so
// Weft uses only the first 16 bytes of the SHA-256 digest inside that CID: 20 bytes less per
// message, still 128 bits that no one can choose (they hash the creator's signed genesis).

import { isEventCid, type CID } from '@weft/dag';
import { MergeError } from './errors.ts';

/** Length of a Weft group's MLS group_id, in bytes. */
export const MLS_GROUP_ID_BYTES = 16;

/** The MLS group_id of the group whose genesis is `genesis`: the first 16 bytes of its CID's SHA-256 digest. */
export function deriveMlsGroupId(genesis: CID): Uint8Array {
  if (!isEventCid(genesis)) throw new MergeError('event_invalid', `${genesis.toString()} is not an event CID (CIDv1 dag-cbor sha2-256)`, genesis.toString());
  return genesis.multihash.digest.slice(0, MLS_GROUP_ID_BYTES);
}
