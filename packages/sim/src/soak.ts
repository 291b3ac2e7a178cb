// The soak run (`pnpm soak`): 100,000 random scenarios with the real engine, checking invariants 1,
// 2 and 3 on each. Scenario seeds are 1..N, so a soak is reproducible, and work is cut into chunks
// that worker processes take in turn; finished chunks are recorded in a state file, so an
// interrupted soak resumes where it stopped. Prints progress and, at the end, the time it took.
//
// usage: tsx packages/sim/src/soak.ts [--count N] [--chunk N] [--workers N] [--max-ops N]
//                                     [--state FILE] [--fresh]

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildReport } from './report.ts';
import { generateRandomScenario } from './randomScenario.ts';
import { runScenario } from './runner.ts';
import { mergeEngine } from './mergeEngine.ts';

interface SoakFailure {
  readonly seed: number;
  readonly failures: readonly string[];
}

interface SoakState {
  readonly count: number;
  readonly chunk: number;
  readonly maxOps: number;
  /** Indices of finished chunks. */
  done: number[];
  failures: SoakFailure[];
  /** Wall-clock ms spent over all sessions (reporting only). */
  elapsedMs: number;
}

interface Options {
  count: number;
  chunk: number;
  workers: number;
  maxOps: number;
  state: string;
  fresh: boolean;
}

function parseOptions(args: readonly string[]): Options {
  const o: Options = {
    count: 100_000,
    chunk: 250,
    workers: Math.max(1, availableParallelism() - 1),
    maxOps: 8,
    state: resolve('node_modules/.cache/weft-soak/state.json'),
    fresh: false,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const num = (): number => {
      const n = Number(args[++i]);
      if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${a} needs a whole number >= 1`);
      return n;
    };
    if (a === '--count') o.count = num();
    else if (a === '--chunk') o.chunk = num();
    else if (a === '--workers') o.workers = num();
    else if (a === '--max-ops') o.maxOps = num();
    else if (a === '--state') o.state = resolve(args[++i] ?? '');
    else if (a === '--fresh') o.fresh = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/** Worker: runs seeds [from, to) and prints one JSON line per failure, then a done line. */
async function runWorker(from: number, to: number, maxOps: number): Promise<void> {
  for (let seed = from; seed < to; seed++) {
    let failures: string[] = [];
    try {
      const report = buildReport(await runScenario(generateRandomScenario(seed, { maxOps }), { engine: mergeEngine }));
      failures = [...report.failures, ...report.deviceErrors.map((e) => `engine error: ${e}`)];
    } catch (e) {
      failures = [`threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`];
    }
    if (failures.length > 0) process.stdout.write(`${JSON.stringify({ seed, failures: failures.slice(0, 5) })}\n`);
  }
  process.stdout.write(`${JSON.stringify({ done: true })}\n`);
}

function loadState(o: Options): SoakState {
  if (!o.fresh && existsSync(o.state)) {
    const s = JSON.parse(readFileSync(o.state, 'utf8')) as SoakState;
    if (s.count === o.count && s.chunk === o.chunk && s.maxOps === o.maxOps) return s;
    process.stdout.write(`state file ${o.state} is for another soak (count/chunk/max-ops differ); starting afresh\n`);
  }
  return { count: o.count, chunk: o.chunk, maxOps: o.maxOps, done: [], failures: [], elapsedMs: 0 };
}

function saveState(path: string, s: SoakState): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(s));
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m${String(s % 60).padStart(2, '0')}s`;
}

/** Runs one chunk in a child process; resolves with its failures. */
function runChunk(index: number, s: SoakState): Promise<SoakFailure[]> {
  const from = 1 + index * s.chunk;
  const to = Math.min(s.count + 1, from + s.chunk);
  const self = fileURLToPath(import.meta.url);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...process.execArgv, self, '--worker', String(from), String(to), String(s.maxOps)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buffer = '';
    const failures: SoakFailure[] = [];
    let finished = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      buffer += d;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const msg = JSON.parse(line) as SoakFailure | { done: true };
        if ('done' in msg) finished = true;
        else failures.push(msg);
      }
    });
    child.on('exit', (code) => (finished ? done(failures) : fail(new Error(`chunk ${index} (seeds ${from}..${to - 1}) worker exited with ${code}`))));
  });
}

async function main(args: string[]): Promise<number> {
  if (args[0] === '--worker') {
    await runWorker(Number(args[1]), Number(args[2]), Number(args[3]));
    return 0;
  }
  const o = parseOptions(args);
  const s = loadState(o);
  const chunks = Math.ceil(s.count / s.chunk);
  const todo = Array.from({ length: chunks }, (_, i) => i).filter((i) => !s.done.includes(i));
  const scenarios = (n: number): number => Math.min(s.count, n * s.chunk);
  process.stdout.write(`soak: ${s.count} random scenarios (max ${s.maxOps} ops, up to 8 devices on 4 sites), ${o.workers} worker(s), chunks of ${s.chunk}; ${s.done.length}/${chunks} chunks already done (state: ${o.state})\n`);
  const started = Date.now();
  const baseElapsed = s.elapsedMs;
  const doneAtStart = s.done.length;
  let next = 0;
  const work = async (): Promise<void> => {
    while (next < todo.length) {
      const index = todo[next++] as number;
      const failures = await runChunk(index, s);
      s.done.push(index);
      s.failures.push(...failures);
      s.elapsedMs = baseElapsed + (Date.now() - started);
      saveState(o.state, s);
      for (const f of failures) process.stdout.write(`FAILED seed ${f.seed}: ${f.failures.join('; ')}\n`);
      const session = Date.now() - started;
      const rate = ((s.done.length - doneAtStart) * s.chunk) / (session / 1000);
      const left = (chunks - s.done.length) * s.chunk;
      process.stdout.write(
        `[${new Date().toISOString().slice(11, 19)}] ${scenarios(s.done.length).toLocaleString('en')}/${s.count.toLocaleString('en')} scenarios, ${s.failures.length} failed, ${rate.toFixed(1)}/s, elapsed ${formatDuration(s.elapsedMs)}, eta ${formatDuration((left / rate) * 1000)}\n`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.workers, todo.length) }, work));
  process.stdout.write(`soak finished: ${s.count.toLocaleString('en')} scenarios in ${formatDuration(s.elapsedMs)} (all sessions), ${s.failures.length} failed\n`);
  for (const f of s.failures.slice(0, 20)) process.stdout.write(`  seed ${f.seed}: ${f.failures[0] ?? ''}\n`);
  return s.failures.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`soak: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
