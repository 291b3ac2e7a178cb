import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getCipherSuite, isSuiteSupported, type CipherSuite, type CipherSuiteId, type ProviderName } from '@weft/crypto';
import type { VectorCase, VectorChecker } from './checker.ts';

/** One line of the report: the cases of one file, cipher suite and provider. */
export interface VectorRow {
  file: string;
  /** Cipher suite, or null for suite-independent files. */
  suite: number | null;
  /** Provider, or null when the file's checks use no crypto (or have no checker yet). */
  provider: ProviderName | null;
  passed: number;
  failed: number;
  skipped: number;
  /** Why cases were skipped ("suite not supported", "not implemented yet"), else null. */
  reason: string | null;
  /** The first few failure messages, when `failed` > 0. */
  errors?: string[];
}

export interface RunVectorsOptions {
  /** Folder holding the RFC 9420 vector JSON files. */
  dir: string;
  providers: readonly ProviderName[];
  /** Only these file names (default: every `.json` file in `dir`). */
  files?: readonly string[];
}

const MAX_ERRORS_PER_ROW = 5;

/** Folder of the vector files bundled with the repository. */
export function bundledVectorDir(): string {
  return fileURLToPath(new URL('../../../../vectors/mls/', import.meta.url));
}

/** Loads the checker for a vector file, or null when none has been written yet. */
async function loadChecker(file: string): Promise<VectorChecker | null> {
  const url = new URL(`./checkers/${file.replace(/\.json$/, '')}.ts`, import.meta.url);
  if (!existsSync(fileURLToPath(url))) return null;
  const mod = (await import(url.href)) as { checker?: VectorChecker };
  if (!mod.checker) throw new Error(`${url.pathname} does not export a checker`);
  return mod.checker;
}

/** Suite of a case for grouping when no checker exists: its `cipher_suite` field if it has one. */
function guessSuite(tc: VectorCase): number | null {
  return typeof tc.cipher_suite === 'number' ? tc.cipher_suite : null;
}

function groupBySuite(cases: VectorCase[], suiteOf: (tc: VectorCase) => number | null): Map<number | null, VectorCase[]> {
  const groups = new Map<number | null, VectorCase[]>();
  for (const tc of cases) {
    const s = suiteOf(tc);
    const list = groups.get(s);
    if (list) list.push(tc);
    else groups.set(s, [tc]);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => (a ?? 0) - (b ?? 0)));
}

function runCases(checker: VectorChecker, cases: VectorCase[], cs: CipherSuite | null): Pick<VectorRow, 'passed' | 'failed' | 'errors'> {
  let passed = 0;
  const errors: string[] = [];
  let failed = 0;
  cases.forEach((tc, i) => {
    try {
      checker.check(tc, cs);
      passed++;
    } catch (err) {
      failed++;
      if (errors.length < MAX_ERRORS_PER_ROW) {
        errors.push(`case ${i}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
      }
    }
  });
  return failed > 0 ? { passed, failed, errors } : { passed, failed };
}

/** Runs every vector file in `dir` against the named providers and returns one row per file, suite and provider. */
export async function runVectors(opts: RunVectorsOptions): Promise<VectorRow[]> {
  const files = opts.files ?? readdirSync(opts.dir).filter((f) => f.endsWith('.json')).sort();
  const rows: VectorRow[] = [];
  for (const file of files) {
    const parsed: unknown = JSON.parse(readFileSync(join(opts.dir, file), 'utf8'));
    if (!Array.isArray(parsed)) {
      rows.push({ file, suite: null, provider: null, passed: 0, failed: 1, skipped: 0, reason: null, errors: ['the file is not a JSON array of test cases'] });
      continue;
    }
    const cases = parsed as VectorCase[];
    const checker = await loadChecker(file);
    if (!checker) {
      for (const [suite, group] of groupBySuite(cases, guessSuite)) {
        rows.push({ file, suite, provider: null, passed: 0, failed: 0, skipped: group.length, reason: 'not implemented yet' });
      }
      continue;
    }
    for (const [suite, group] of groupBySuite(cases, (tc) => checker.suiteOf(tc))) {
      if (!checker.usesProvider) {
        rows.push({ file, suite, provider: null, skipped: 0, reason: null, ...runCases(checker, group, null) });
        continue;
      }
      for (const provider of opts.providers) {
        if (suite === null || !isSuiteSupported(suite, provider)) {
          rows.push({ file, suite, provider, passed: 0, failed: 0, skipped: group.length, reason: 'suite not supported' });
          continue;
        }
        const cs = getCipherSuite(suite as CipherSuiteId, provider);
        rows.push({ file, suite, provider, skipped: 0, reason: null, ...runCases(checker, group, cs) });
      }
    }
  }
  return rows;
}
