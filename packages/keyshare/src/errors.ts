// Every way keyshare refuses input, one code each. A refused input never changes any state.

/** Why a keyshare input was refused. */
export type KeyshareErrorCode =
  // decoding
  | 'oversized'
  | 'truncated'
  | 'malformed'
  | 'non_canonical'
  | 'unknown_field'
  | 'unsupported_version'
  // authentication
  | 'forged'
  | 'replayed'
  | 'expired'
  | 'wrong_recipient'
  | 'bad_binding'
  // answering policy (each also yields a withheld reply)
  | 'disabled'
  | 'untrusted'
  | 'not_a_member'
  | 'removed'
  | 'rate_limited'
  | 'unavailable'
  // asking
  | 'unsolicited'
  | 'answer_from_non_member'
  | 'decrypt_failed'
  | 'key_mismatch'
  | 'unknown_epoch';

/** A typed keyshare failure; `code` says which rule refused the input. */
export class KeyshareError extends Error {
  override readonly name = 'KeyshareError';
  constructor(
    readonly code: KeyshareErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** True when `err` is a KeyshareError (optionally with the given code). */
export function isKeyshareError(err: unknown, code?: KeyshareErrorCode): err is KeyshareError {
  return err instanceof KeyshareError && (code === undefined || err.code === code);
}
