import { MlsError } from '../../src/index.ts';

/** Runs `f` and returns the MlsError code it throws, or 'ok' if it returns; other errors propagate. */
export function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof MlsError) return err.code;
    throw err;
  }
  return 'ok';
}
