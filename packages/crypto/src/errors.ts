/** Why a crypto operation refused its input. */
export type CryptoErrorCode =
  | 'unsupported_suite'
  | 'invalid_key'
  | 'decrypt_failed'
  | 'invalid_length'
  | 'invalid_argument'
  | 'derive_failed';

/** The only error type `@weft/crypto` throws; `code` says which kind of input was wrong. */
export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Throws CryptoError(code) unless `bytes` has exactly `expected` bytes. */
export function requireLength(bytes: Uint8Array, expected: number, what: string, code: CryptoErrorCode = 'invalid_key'): void {
  if (!(bytes instanceof Uint8Array)) {
    throw new CryptoError(code, `${what} must be a Uint8Array, got ${typeof bytes}`);
  }
  if (bytes.length !== expected) {
    throw new CryptoError(code, `${what} must be ${expected} bytes, got ${bytes.length}`);
  }
}
