import { decode, encode, type Reader, type Writer } from '@weft/codec';
import { MAX_PAYLOAD_BYTES } from './limits.ts';
import { readProposalOrRef, writeProposalOrRef, type ProposalOrRef } from './proposal.ts';
import { readUpdatePath, writeUpdatePath, type UpdatePath } from './updatePath.ts';

/** RFC 9420 section 12.4 Commit. */
export interface Commit {
  readonly proposals: readonly ProposalOrRef[];
  readonly path: UpdatePath | null;
}

// A Commit with an UpdatePath is a few KB (one HPKE ciphertext per copath node), and one commit is
// written three or four times: in the signed FramedContentTBS, the membership tag, the transcript
// hash input and the MLSMessage. Commit values are immutable (readonly all the way down), so the
// bytes of the first write are kept, weakly, and copied into the later ones.
const encodings = new WeakMap<Commit, Uint8Array>();

/** Writes a Commit. */
export function writeCommit(w: Writer, c: Commit): void {
  let bytes = encodings.get(c);
  if (bytes === undefined) {
    bytes = encode((inner) => {
      inner.vector(c.proposals, writeProposalOrRef);
      inner.optional(c.path, writeUpdatePath);
    });
    encodings.set(c, bytes);
  }
  w.raw(bytes);
}

/** Reads a Commit. */
export function readCommit(r: Reader): Commit {
  const proposals = r.vector(readProposalOrRef, MAX_PAYLOAD_BYTES);
  const path = r.optional(readUpdatePath);
  return { proposals, path };
}

/** TLS encoding of a Commit (a fresh copy the caller may change). */
export function encodeCommit(c: Commit): Uint8Array {
  return encode((w) => writeCommit(w, c));
}

/** Strictly decodes a Commit. */
export function decodeCommit(bytes: Uint8Array): Commit {
  return decode(bytes, readCommit);
}
