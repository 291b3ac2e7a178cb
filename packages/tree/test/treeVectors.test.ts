// The official RFC 9420 vectors for the wire structs, ratchet tree and TreeKEM, run through the
// `weft vectors` checkers: suites 1 and 3 on the node provider. Case counts are asserted so a
// silent skip (or a truncated file) fails the test.
import { readFileSync } from 'node:fs';
import { getCipherSuite } from '@weft/crypto';
import { describe, expect, it } from 'vitest';
import type { VectorCase, VectorChecker } from '../../cli/src/vectors/checker.ts';
import { checker as messages } from '../../cli/src/vectors/checkers/messages.ts';
import { checker as treeOperations } from '../../cli/src/vectors/checkers/tree-operations.ts';
import { checker as treeValidation } from '../../cli/src/vectors/checkers/tree-validation.ts';
import { checker as treeKem } from '../../cli/src/vectors/checkers/treekem.ts';

const vectorDir = new URL('../../../vectors/mls/', import.meta.url);

function loadCases(file: string): VectorCase[] {
  return JSON.parse(readFileSync(new URL(file, vectorDir), 'utf8')) as VectorCase[];
}

// [checker, suite, expected case count]
const RUNS: [VectorChecker, 1 | 3, number][] = [
  [messages, 1, 100],
  [messages, 3, 100],
  [treeValidation, 1, 14],
  [treeValidation, 3, 14],
  [treeOperations, 1, 5],
  [treeKem, 1, 11],
  [treeKem, 3, 11],
];

describe('RFC 9420 vectors: messages, tree-validation, tree-operations, treekem', () => {
  for (const [checker, suite, expected] of RUNS) {
    it(`${checker.file} suite ${suite} (node): all ${expected} cases pass`, () => {
      const cases = loadCases(checker.file).filter((tc) => checker.suiteOf(tc) === suite);
      const cs = checker.usesProvider ? getCipherSuite(suite, 'node') : null;
      let passed = 0;
      for (const tc of cases) {
        checker.check(tc, cs);
        passed++;
      }
      expect(passed).toBe(expected);
    });
  }

  it('messages.json suite 2 (codec only) also round-trips', () => {
    const cases = loadCases('messages.json').filter((tc) => messages.suiteOf(tc) === 2);
    for (const tc of cases) messages.check(tc, null);
    expect(cases.length).toBe(100);
  });
});
