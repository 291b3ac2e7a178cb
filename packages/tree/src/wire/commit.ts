import { decode, encode, type Reader, type Writer } from '@weft/codec';
import { MAX_PAYLOAD_BYTES } from './limits.ts';
import { readProposalOrRef, writeProposalOrRef, type ProposalOrRef } from './proposal.ts';
import { readUpdatePath, writeUpdatePath, type UpdatePath } from './updatePath.ts';

/** RFC 9420 section 12.4 Commit. */
export interface Commit {
  readonly proposals: readonly ProposalOrRef[];
  readonly path: UpdatePath | null;
}

/** Writes a Commit. */
export function writeCommit(w: Writer, c: Commit): void {
  w.vector(c.proposals, writeProposalOrRef);
  w.optional(c.path, writeUpdatePath);
}

/** Reads a Commit. */
export function readCommit(r: Reader): Commit {
  const proposals = r.vector(readProposalOrRef, MAX_PAYLOAD_BYTES);
  const path = r.optional(readUpdatePath);
  return { proposals, path };
}

/** TLS encoding of a Commit. */
export function encodeCommit(c: Commit): Uint8Array {
  return encode((w) => writeCommit(w, c));
}

/** Strictly decodes a Commit. */
export function decodeCommit(bytes: Uint8Array): Commit {
  return decode(bytes, readCommit);
}
