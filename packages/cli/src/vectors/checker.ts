import type { CipherSuite } from '@weft/crypto';

/** One test case object of an RFC 9420 vector file, as parsed from JSON. */
export type VectorCase = Record<string, unknown>;

/** Thrown by a checker when a computed value differs from the vector's. */
export class VectorMismatch extends Error {
  override readonly name = 'VectorMismatch';
}

/** Knows how to check the cases of one official vector file. */
export interface VectorChecker {
  /** File name, e.g. `tree-math.json`. */
  readonly file: string;
  /**
   * Whether the check runs crypto. When false, the file is checked once, not once per provider,
   * and its rows carry `provider: null`.
   */
  readonly usesProvider: boolean;
  /** The case's cipher suite, or null for suite-independent files. */
  suiteOf(testCase: VectorCase): number | null;
  /** Throws (VectorMismatch or any typed error) when the case does not pass. */
  check(testCase: VectorCase, suite: CipherSuite | null): void;
}

/** Throws VectorMismatch naming `what` unless `actual` equals `expected` (hex strings or numbers). */
export function expectEqual(what: string, actual: unknown, expected: unknown): void {
  if (actual !== expected) {
    throw new VectorMismatch(`${what}: expected ${String(expected)}, got ${String(actual)}`);
  }
}
