import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundledVectorDir, runVectors, type VectorRow } from '../src/vectors/runner.ts';

// Files that must pass in full for suites 1 and 3 on both providers, with their case counts per
// suite (from FORMATS.md). A file joins this list when its checker lands; the test then fails on
// any case that stops passing or is silently skipped.
const MUST_PASS_PER_SUITE: Record<string, Partial<Record<1 | 3, number>>> = {
  'crypto-basics.json': { 1: 1, 3: 1 },
  'key-schedule.json': { 1: 1, 3: 1 },
  'psk_secret.json': { 1: 11, 3: 11 },
  'secret-tree.json': { 1: 3, 3: 3 },
  'transcript-hashes.json': { 1: 1, 3: 1 },
  'message-protection.json': { 1: 1, 3: 1 },
  'welcome.json': { 1: 1, 3: 1 },
  'tree-validation.json': { 1: 14, 3: 14 },
  'tree-operations.json': { 1: 5 },
  'treekem.json': { 1: 11, 3: 11 },
  'passive-client-welcome.json': { 1: 8, 3: 8 },
  'passive-client-handling-commit.json': { 1: 13, 3: 13 },
  'passive-client-random.json': { 1: 1 },
};
// Codec-only files: checked once per suite, with no provider.
const MUST_PASS_CODEC: Record<string, Record<number, number>> = {
  'messages.json': { 1: 100, 2: 100, 3: 100 },
};
const MUST_PASS_SUITELESS: Record<string, number> = {
  'tree-math.json': 10,
  'deserialization.json': 14,
};

describe('weft vectors over the bundled RFC 9420 vectors', () => {
  let rows: VectorRow[] = [];

  it('runs every file with both providers, nothing fails and no file lacks a checker', async () => {
    rows = await runVectors({ dir: bundledVectorDir(), providers: ['node', 'noble'] });
    const failures = rows.filter((r) => r.failed > 0);
    expect(failures, JSON.stringify(failures, null, 2)).toEqual([]);
    expect(new Set(rows.map((r) => r.file)).size).toBe(16);
    expect(rows.filter((r) => r.reason === 'not implemented yet')).toEqual([]);
  });

  it('passes every case of the suite-independent files', () => {
    for (const [file, count] of Object.entries(MUST_PASS_SUITELESS)) {
      const row = rows.find((r) => r.file === file);
      expect(row, file).toMatchObject({ suite: null, provider: null, passed: count, failed: 0, skipped: 0 });
    }
  });

  it('passes every case of the implemented files for suites 1 and 3 on both providers', () => {
    for (const [file, perSuite] of Object.entries(MUST_PASS_PER_SUITE)) {
      for (const [suite, count] of Object.entries(perSuite).map(([s, n]) => [Number(s), n] as const)) {
        for (const provider of ['node', 'noble'] as const) {
          const row = rows.find((r) => r.file === file && r.suite === suite && r.provider === provider);
          expect(row, `${file} suite ${suite} ${provider}`).toMatchObject({ passed: count, failed: 0, skipped: 0 });
        }
      }
    }
  });

  it('round-trips every message of the codec-only files', () => {
    for (const [file, perSuite] of Object.entries(MUST_PASS_CODEC)) {
      for (const [suite, count] of Object.entries(perSuite)) {
        const row = rows.find((r) => r.file === file && r.suite === Number(suite));
        expect(row, `${file} suite ${suite}`).toMatchObject({ provider: null, passed: count, failed: 0, skipped: 0 });
      }
    }
  });

  it('reports unsupported suites as skipped with a reason, never as passed', () => {
    const unsupported = rows.filter((r) => r.suite !== null && r.suite >= 4 && r.provider !== null);
    expect(unsupported.length).toBeGreaterThan(0);
    for (const r of unsupported) expect(r).toMatchObject({ passed: 0, failed: 0, reason: 'suite not supported' });
  });
});

// Runs the real `weft` entry point the way `pnpm weft` does, without pnpm's own output.
const WEFT = ['--import', 'tsx', fileURLToPath(new URL('../src/main.ts', import.meta.url))];

describe('weft vectors command', () => {
  it('prints JSON rows and exits 0 on the bundled vectors', () => {
    const out = execFileSync(process.execPath, [...WEFT, 'vectors', '--json', '--provider', 'node'], { encoding: 'utf8' });
    const parsed = JSON.parse(out) as VectorRow[];
    expect(parsed.find((r) => r.file === 'tree-math.json')).toEqual({ file: 'tree-math.json', suite: null, provider: null, passed: 10, failed: 0, skipped: 0, reason: null });
  });

  it('counts a tampered case as failed and exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-vectors-'));
    const cases = JSON.parse(readFileSync(join(bundledVectorDir(), 'tree-math.json'), 'utf8')) as { root: number }[];
    (cases[3] as { root: number }).root += 2;
    writeFileSync(join(dir, 'tree-math.json'), JSON.stringify(cases));
    copyFileSync(join(bundledVectorDir(), 'deserialization.json'), join(dir, 'deserialization.json'));
    let status = 0;
    let stdout = '';
    try {
      execFileSync(process.execPath, [...WEFT, 'vectors', dir, '--json'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      const e = err as { status: number; stdout: string };
      status = e.status;
      stdout = e.stdout;
    }
    expect(status).toBe(1);
    const parsed = JSON.parse(stdout) as VectorRow[];
    expect(parsed).toEqual([
      { file: 'deserialization.json', suite: null, provider: null, passed: 14, failed: 0, skipped: 0, reason: null },
      { file: 'tree-math.json', suite: null, provider: null, passed: 9, failed: 1, skipped: 0, reason: null },
    ]);
  });

  it('exits 2 with a message on a bad option', () => {
    let status = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, [...WEFT, 'vectors', '--provider', 'openssl'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      const e = err as { status: number; stderr: string };
      status = e.status;
      stderr = e.stderr;
    }
    expect(status).toBe(2);
    expect(stderr).toContain('--provider takes node, noble or all');
  });
});
