import type { VectorChecker } from '../checker.ts';
import { checkPassiveClient } from './passive-client-welcome.ts';

/** passive-client-handling-commit.json: join, then two epochs of commits with 0, 1 or 6 proposals by reference. */
export const checker: VectorChecker = {
  file: 'passive-client-handling-commit.json',
  usesProvider: true,
  suiteOf: (tc) => Number(tc.cipher_suite),
  check: checkPassiveClient,
};
