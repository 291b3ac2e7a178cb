import { afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSimCommand } from '../src/commands/sim.ts';

const scenario = (name: string): string => fileURLToPath(new URL(`../../../examples/scenarios/${name}.json`, import.meta.url));

/** Runs `weft sim ...` in-process; returns the exit code and what it printed. */
async function weft(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
  try {
    const code = await runSimCommand(args);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
}

describe('weft sim', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-cli-sim-'));
  afterEach(() => vi.restoreAllMocks());

  it('prints the JSON report with the documented fields, draws the DAG, exits 0', async () => {
    const svg = join(dir, 'dag.svg');
    const r = await weft(scenario('remove-on-losing-branch'), '--json', '--seed', '4', '--dag-svg', svg);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as Record<string, unknown>;
    for (const key of ['converged', 'heads', 'invariants', 'messages', 'forks', 'rebaseCommits', 'handshakeBytes', 'timing']) expect(report).toHaveProperty(key);
    expect(report.converged).toBe(true);
    expect(report.invariants).toEqual({ convergence: true, noLostMessages: true, removeWins: true });
    expect(report.messages).toMatchObject({ sent: 3, lost: 0 });
    expect(Object.keys(report.heads as object).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(Object.keys(report.timing as object).sort()).toEqual(['a', 'b', 'c', 'd']);
    const drawn = readFileSync(svg, 'utf8');
    expect(drawn.startsWith('<svg')).toBe(true);
    expect(drawn).toContain('b-update');
    expect(drawn).toContain('rebase:');
  });

  it('prints a readable report by default', async () => {
    const r = await weft(scenario('concurrent-updates'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('forks: 1');
    expect(r.out).toContain('winner c-update');
    expect(r.out).toMatch(/convergence\s+held/);
  });

  it('exits 2 with a message naming the problem for a bad scenario, not a stack trace', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ name: 'bad', sites: ['x'], devices: { a: 'x' }, steps: [{ at: 0, do: 'create', by: 'a' }, { do: 'dance', by: 'a' }] }));
    const r = await weft(bad);
    expect(r.code).toBe(2);
    expect(r.err).toContain('steps[1].do: unknown step kind "dance"');
    expect(r.err).toContain('[unknown_step]');
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('exits 2 for usage errors and unreadable files', async () => {
    expect((await weft()).code).toBe(2);
    expect((await weft(scenario('concurrent-updates'), '--seed', 'x')).err).toContain('--seed must be a whole number');
    expect((await weft(join(dir, 'missing.json'))).code).toBe(2);
    expect(existsSync(join(dir, 'missing.json'))).toBe(false);
  });
});
