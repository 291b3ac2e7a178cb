// Typed failures of the merge engine. Bad input never throws out of `ingest`: it is recorded as a
// Rejection with one of these codes, and the device state is left as it was.

/** Why the engine refused an input or an action. */
export type MergeErrorCode =
  // Event level (mirrors of @weft/dag EventError codes are reported as 'event_invalid' with detail)
  | 'event_invalid'
  | 'wrong_group'
  | 'duplicate_genesis'
  | 'missing_parent'
  // Public MLS validation of handshakes (deterministic on every replica)
  | 'not_member'
  | 'invalid_commit'
  | 'invalid_proposal'
  | 'invalid_welcome'
  | 'invalid_message'
  | 'bogus_resolves'
  | 'path_required'
  // Private processing (this device only)
  | 'base_evicted'
  | 'no_world'
  | 'world_failed'
  | 'commit_invalid'
  // Actions
  | 'no_group'
  | 'already_in_group'
  | 'removal_pending'
  | 'group_closed'
  | 'not_head_member'
  | 'unknown_member'
  | 'bad_key_package'
  | 'nothing_to_commit';

/** A refusal with a code naming the broken rule. */
export class MergeError extends Error {
  override readonly name = 'MergeError';
  constructor(
    readonly code: MergeErrorCode,
    message: string,
    /** The event concerned (CID string), when there is one. */
    readonly cid?: string,
    /** A lower-level code (EventError or MlsError code) that caused it. */
    readonly detail?: string,
  ) {
    super(message);
  }
}

/** True when `e` is a MergeError (optionally with the given code). */
export function isMergeError(e: unknown, code?: MergeErrorCode): e is MergeError {
  return e instanceof MergeError && (code === undefined || e.code === code);
}

/** A recorded rejection of one input event. */
export interface Rejection {
  readonly code: MergeErrorCode;
  readonly message: string;
  readonly cid?: string;
  readonly detail?: string;
}

/** The Rejection record of an error. */
export function toRejection(e: MergeError): Rejection {
  return { code: e.code, message: e.message, ...(e.cid !== undefined ? { cid: e.cid } : {}), ...(e.detail !== undefined ? { detail: e.detail } : {}) };
}

/** Lower-level code of any error (EventError, MlsError, CodecError, CryptoError), for `detail`. */
export function codeOf(e: unknown): string {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'string') return (e as { code: string }).code;
  return e instanceof Error ? e.name : 'unknown';
}
