import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSeededRandom, createSuiteResolver, openLevelStore, parseCid } from '../src/index.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const writer = join(here, 'fixtures', 'crashWriter.ts');
const repoRoot = resolve(here, '..', '..', '..');

/** Runs the writer, kills it with SIGKILL `delayMs` after it is ready; returns the acknowledged CIDs. */
function runAndKill(dir: string, seed: number, delayMs: number): Promise<{ acked: string[]; finished: boolean }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, String(seed)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (timer === undefined && out.startsWith('ready\n')) timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL' && code !== 0) return fail(new Error(`writer failed (${String(code)}): ${err}`));
      const lines = out.split('\n');
      lines.pop(); // a line cut by the kill is not an acknowledgement
      done({ acked: lines.filter((l) => l.startsWith('b')), finished: lines.includes('done') });
    });
  });
}

describe('crash safety', () => {
  it('after SIGKILL at random moments the store is consistent and holds every acknowledged event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-crash-'));
    const rng = createSeededRandom(Date.now() >>> 0);
    const acked = new Set<string>();
    let kills = 0;
    for (let round = 0; round < 3; round++) {
      const delay = 50 + Math.floor(rng.next() * 500);
      const r = await runAndKill(dir, round + 1, delay);
      for (const c of r.acked) acked.add(c);
      if (!r.finished) kills++;
      console.log(`round ${round}: killed after ${delay} ms, ${r.acked.length} acknowledged, finished ${r.finished}`);
      const store = await openLevelStore(dir, { resolveSuite: createSuiteResolver() });
      try {
        expect(await store.checkIntegrity()).toEqual([]);
        const missing: string[] = [];
        for (const c of acked) if (!(await store.has(parseCid(c)))) missing.push(c);
        expect(missing).toEqual([]);
      } finally {
        await store.close();
      }
    }
    expect(kills).toBe(3);
    expect(acked.size).toBeGreaterThan(0);
  });
});
