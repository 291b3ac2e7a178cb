import { afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDagCommand } from '../src/commands/dag.ts';

/** Runs `weft dag ...` in-process; returns the exit code and what it printed. */
async function weft(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
  try {
    const code = await runDagCommand(args);
    return { code, out: out.join('\n'), err: err.join('') };
  } finally {
    log.mockRestore();
    so.mockRestore();
    se.mockRestore();
  }
}

describe('weft dag', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-cli-dag-'));
  const car = join(dir, 'g.car');
  afterEach(() => vi.restoreAllMocks());

  it('generates, verifies, imports, inspects and exports', async () => {
    expect((await weft('generate', '--events', '300', '--groups', '2', '--fork-rate', '0.3', '--out', car)).code).toBe(0);
    expect(existsSync(car)).toBe(true);
    const verified = await weft('verify', car, '--json');
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.out)).toMatchObject({ valid: true, blocks: 300, accepted: 300, problems: [] });

    const store = join(dir, 'store');
    expect((await weft('import', car, '--store', store)).code).toBe(0);
    const inspected = await weft('inspect', '--store', store, '--json');
    expect(inspected.code).toBe(0);
    const info = JSON.parse(inspected.out) as { groups: { group: string; events: number; heads: string[]; forks: unknown[] }[] };
    expect(info.groups).toHaveLength(2);
    expect(info.groups.reduce((n, g) => n + g.events, 0)).toBe(300);
    expect(info.groups.some((g) => g.forks.length > 0)).toBe(true);
    expect(info.groups.every((g) => g.heads.length >= 1)).toBe(true);

    const g0 = info.groups[0]!;
    const out = join(dir, 'one.car');
    expect((await weft('export', g0.group, '--store', store, '--out', out)).code).toBe(0);
    const again = await weft('verify', out, '--json');
    expect(JSON.parse(again.out)).toMatchObject({ valid: true, blocks: g0.events, roots: [g0.group] });
    expect((await weft('inspect', '--store', store)).out).toContain(g0.group);
  });

  it('exits non-zero on a tampered archive, reports the bad block, and stores nothing', async () => {
    const bytes = new Uint8Array(readFileSync(car));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
    const bad = join(dir, 'bad.car');
    writeFileSync(bad, bytes);
    const verified = await weft('verify', bad, '--json');
    expect(verified.code).toBe(1);
    const report = JSON.parse(verified.out) as { valid: boolean; problems: { code: string }[] };
    expect(report.valid).toBe(false);
    expect(report.problems.map((p) => p.code)).toContain('cid_mismatch');
    const text = await weft('verify', bad);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/BAD bafy\S+ cid_mismatch/);

    const store = join(dir, 'store-bad');
    const imported = await weft('import', bad, '--store', store);
    expect(imported.code).toBe(1);
    expect(imported.out).toContain('nothing stored');
    const inspected = await weft('inspect', '--store', store, '--json');
    expect(JSON.parse(inspected.out).groups).toEqual([]);
  });

  it('exits non-zero on a file that is not an archive and on usage errors', async () => {
    const junk = join(dir, 'junk.car');
    writeFileSync(junk, 'not a car');
    expect((await weft('verify', junk)).code).toBe(1);
    expect((await weft('generate', '--events', '10')).code).toBe(2);
    expect((await weft('generate', '--events', 'ten', '--out', join(dir, 'x.car'))).code).toBe(2);
    expect((await weft('frobnicate')).code).toBe(2);
    expect((await weft('export', 'notacid', '--store', dir, '--out', join(dir, 'y.car'))).code).toBe(1);
    expect((await weft('verify', join(dir, 'absent.car'))).code).toBe(2);
  });
});
