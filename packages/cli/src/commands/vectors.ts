import { existsSync, statSync } from 'node:fs';
import type { ProviderName } from '@weft/crypto';
import { bundledVectorDir, runVectors, type VectorRow } from '../vectors/runner.ts';

const usage = 'usage: weft vectors [DIR] [--provider node|noble|all] [--json]';

interface VectorsArgs {
  dir: string;
  providers: ProviderName[];
  json: boolean;
}

/** Parses `weft vectors` arguments; returns an error message for bad input. */
function parseArgs(args: string[]): VectorsArgs | string {
  let dir: string | undefined;
  let providers: ProviderName[] = ['node'];
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--json') json = true;
    else if (a === '--provider' || a.startsWith('--provider=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i];
      if (v === 'all') providers = ['node', 'noble'];
      else if (v === 'node' || v === 'noble') providers = [v];
      else return `--provider takes node, noble or all, not "${v ?? ''}"`;
    } else if (a.startsWith('-')) return `unknown option "${a}"`;
    else if (dir === undefined) dir = a;
    else return `unexpected argument "${a}"`;
  }
  dir ??= bundledVectorDir();
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return `vector folder "${dir}" does not exist`;
  return { dir, providers, json };
}

/** Prints the rows as an aligned table with a totals line. */
function printTable(rows: VectorRow[]): void {
  const header = ['file', 'suite', 'provider', 'passed', 'failed', 'skipped', 'reason'];
  const cells = rows.map((r) => [r.file, r.suite === null ? '-' : String(r.suite), r.provider ?? '-', String(r.passed), String(r.failed), String(r.skipped), r.reason ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]): string => c.map((x, i) => (i >= 3 && i <= 5 ? x.padStart(widths[i] ?? 0) : x.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
  const total = (k: 'passed' | 'failed' | 'skipped'): number => rows.reduce((s, r) => s + r[k], 0);
  console.log(`\n${total('passed')} passed, ${total('failed')} failed, ${total('skipped')} skipped`);
  for (const r of rows) {
    for (const e of r.errors ?? []) console.log(`FAIL ${r.file} suite ${r.suite ?? '-'} ${r.provider ?? ''}: ${e}`);
  }
}

/** `weft vectors`: runs the RFC 9420 vectors and reports per file, suite and provider. Exit 1 on any failure. */
export async function runVectorsCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    process.stderr.write(`weft vectors: ${parsed}\n${usage}\n`);
    return 2;
  }
  const rows = await runVectors({ dir: parsed.dir, providers: parsed.providers });
  if (parsed.json) {
    const plain = rows.map(({ file, suite, provider, passed, failed, skipped, reason }) => ({ file, suite, provider, passed, failed, skipped, reason }));
    process.stdout.write(JSON.stringify(plain, null, 2) + '\n');
  } else {
    printTable(rows);
  }
  return rows.some((r) => r.failed > 0) ? 1 : 0;
}
