import type { VectorChecker } from '../checker.ts';
import { checkPassiveClient } from './passive-client-welcome.ts';

/** passive-client-random.json: join, then 200 epochs of random commits and proposals (suite 1). */
export const checker: VectorChecker = {
  file: 'passive-client-random.json',
  usesProvider: true,
  suiteOf: (tc) => Number(tc.cipher_suite),
  check: checkPassiveClient,
};
