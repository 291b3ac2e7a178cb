/** Every reason an event can be refused; each maps to one rule of the event format or of acceptance. */
export type EventErrorCode =
  | 'too_large'
  | 'decode_failed'
  | 'non_canonical'
  | 'trailing_bytes'
  | 'not_a_map'
  | 'unknown_field'
  | 'missing_field'
  | 'invalid_field'
  | 'unsupported_version'
  | 'unknown_kind'
  | 'invalid_cid'
  | 'too_many_parents'
  | 'invalid_parents'
  | 'cycle'
  | 'cid_mismatch'
  | 'missing_signature'
  | 'bad_signature'
  | 'bad_author_key'
  | 'unknown_suite'
  | 'missing_parent'
  | 'duplicate_genesis'
  | 'group_mismatch'
  | 'bad_base'
  | 'bad_resolves'
  | 'unauthorized';

/** A refused event: `code` names the broken rule, `cid` the event when it is known. */
export class EventError extends Error {
  override readonly name = 'EventError';
  constructor(
    readonly code: EventErrorCode,
    message: string,
    readonly cid?: string,
  ) {
    super(message);
  }
}

/** True when `e` is an EventError (optionally with the given code). */
export function isEventError(e: unknown, code?: EventErrorCode): e is EventError {
  return e instanceof EventError && (code === undefined || e.code === code);
}
