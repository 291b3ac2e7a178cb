// The passive-client RFC 9420 vectors (join by Welcome, then process commits and proposals by
// reference) through the `weft vectors` checkers, suites 1 and 3 on the node provider. Pass counts
// are exact, so a silent skip or a truncated file fails the test.
import { readFileSync } from 'node:fs';
import { getCipherSuite } from '@weft/crypto';
import { describe, expect, it } from 'vitest';
import type { VectorCase, VectorChecker } from '../../cli/src/vectors/checker.ts';
import { checker as handlingCommit } from '../../cli/src/vectors/checkers/passive-client-handling-commit.ts';
import { checker as random } from '../../cli/src/vectors/checkers/passive-client-random.ts';
import { checker as welcome } from '../../cli/src/vectors/checkers/passive-client-welcome.ts';

const vectorDir = new URL('../../../vectors/mls/', import.meta.url);

function loadCases(file: string): VectorCase[] {
  return JSON.parse(readFileSync(new URL(file, vectorDir), 'utf8')) as VectorCase[];
}

// [checker, suite, expected passing cases]
const RUNS: [VectorChecker, 1 | 3, number][] = [
  [welcome, 1, 8],
  [welcome, 3, 8],
  [handlingCommit, 1, 13],
  [handlingCommit, 3, 13],
  [random, 1, 1],
];

describe('RFC 9420 passive-client vectors', () => {
  for (const [checker, suite, expected] of RUNS) {
    it(`${checker.file} suite ${suite} (node): all ${expected} cases pass`, () => {
      const cases = loadCases(checker.file).filter((tc) => checker.suiteOf(tc) === suite);
      const cs = getCipherSuite(suite, 'node');
      let passed = 0;
      for (const tc of cases) {
        checker.check(tc, cs);
        passed++;
      }
      expect(passed).toBe(expected);
    });
  }
});
