import { decode, encode, Writer, type Reader } from '@weft/codec';
import { readWithBytes } from './byteLayout.ts';
import { MAX_PAYLOAD_BYTES } from './limits.ts';
import { readProposalOrRef, writeProposalOrRef, type ProposalOrRef } from './proposal.ts';
import { readUpdatePath, updatePathSize, writeUpdatePath, type UpdatePath } from './updatePath.ts';

/** RFC 9420 section 12.4 Commit. */
export interface Commit {
  readonly proposals: readonly ProposalOrRef[];
  readonly path: UpdatePath | null;
}

// A Commit with an UpdatePath is a few KB (one HPKE ciphertext per copath node), and one commit is
// written three or four times: in the signed FramedContentTBS, the membership tag, the transcript
// hash input and the MLSMessage. Commit values are immutable (readonly all the way down), so the
// bytes of the first write (or the bytes a received Commit was decoded from: the decoder is strict,
// so they are its encoding) are kept, weakly, and copied into the later ones.
const encodings = new WeakMap<Commit, Uint8Array>();

/** Writes a Commit. */
export function writeCommit(w: Writer, c: Commit): void {
  w.raw(commitBytes(c));
}

/** The encoding of a Commit, cached per object (the caller must not change it). */
export function commitBytes(c: Commit): Uint8Array {
  let bytes = encodings.get(c);
  if (bytes === undefined) {
    // Sized up front so the buffer never grows (a path commit is a few KB); proposals are few.
    const inner = new Writer(256 + (c.path ? updatePathSize(c.path) : 0));
    inner.vector(c.proposals, writeProposalOrRef);
    inner.optional(c.path, writeUpdatePath);
    bytes = inner.finish();
    encodings.set(c, bytes);
  }
  return bytes;
}

/** Reads a Commit. */
export function readCommit(r: Reader): Commit {
  const [commit, bytes] = readWithBytes(r, (inner): Commit => {
    const proposals = inner.vector(readProposalOrRef, MAX_PAYLOAD_BYTES);
    const path = inner.optional(readUpdatePath);
    return { proposals, path };
  });
  encodings.set(commit, bytes);
  return commit;
}

/** TLS encoding of a Commit (a fresh copy the caller may change). */
export function encodeCommit(c: Commit): Uint8Array {
  return encode((w) => writeCommit(w, c));
}

/** Strictly decodes a Commit. */
export function decodeCommit(bytes: Uint8Array): Commit {
  return decode(bytes, readCommit);
}
