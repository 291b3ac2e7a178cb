/** Why a byte string could not be decoded. */
export type CodecErrorCode =
  | 'truncated'
  | 'trailing_bytes'
  | 'non_minimal_varint'
  | 'invalid_varint'
  | 'overlong'
  | 'invalid_value';

/** A decoding or encoding failure; `code` says which rule the input broke, `offset` where. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  constructor(
    readonly code: CodecErrorCode,
    message: string,
    readonly offset?: number,
  ) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
  }
}
