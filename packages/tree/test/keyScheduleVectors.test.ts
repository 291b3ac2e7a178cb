import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { getCipherSuite } from '@weft/crypto';
import type { VectorCase, VectorChecker } from '../../cli/src/vectors/checker.ts';
import { checker as keySchedule } from '../../cli/src/vectors/checkers/key-schedule.ts';
import { checker as psk } from '../../cli/src/vectors/checkers/psk_secret.ts';
import { checker as secretTree } from '../../cli/src/vectors/checkers/secret-tree.ts';
import { checker as transcript } from '../../cli/src/vectors/checkers/transcript-hashes.ts';
import { checker as protection } from '../../cli/src/vectors/checkers/message-protection.ts';
import { checker as welcome } from '../../cli/src/vectors/checkers/welcome.ts';

// Cases per suite in each official file (FORMATS.md); a silent skip or a short file fails the test.
const CHECKERS: [VectorChecker, number][] = [
  [keySchedule, 1],
  [psk, 11],
  [secretTree, 3],
  [transcript, 1],
  [protection, 1],
  [welcome, 1],
];

const vectorDir = new URL('../../../vectors/mls/', import.meta.url);

describe('RFC 9420 vectors: key schedule, PSK, secret tree, transcript hashes, framing, Welcome', () => {
  for (const [checker, perSuite] of CHECKERS) {
    for (const suite of [1, 3] as const) {
      it(`${checker.file} suite ${suite} (node): every case passes`, () => {
        const cases = JSON.parse(readFileSync(new URL(checker.file, vectorDir), 'utf8')) as VectorCase[];
        const mine = cases.filter((tc) => checker.suiteOf(tc) === suite);
        const cs = getCipherSuite(suite, 'node');
        let passed = 0;
        for (const tc of mine) {
          checker.check(tc, cs);
          passed++;
        }
        expect(passed).toBe(perSuite);
      });
    }
  }
});
