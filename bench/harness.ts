import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One measured operation: median and spread of per-call wall time, in microseconds. */
export interface BenchRow {
  section: string;
  name: string;
  /** Free-form parameters (provider, N, ...), printed as columns. */
  params: Record<string, string | number>;
  medianUs: number;
  p10Us: number;
  p90Us: number;
  samples: number;
  /** Extra figures (ratios, bytes, events/s, ...). */
  extra?: Record<string, number | string>;
}

export interface MeasureOptions {
  /** Minimum number of samples. */
  minSamples?: number;
  /** Keep sampling until this much time was spent (ms), unless maxSamples is reached. */
  minTimeMs?: number;
  maxSamples?: number;
  /** Calls of `fn` per sample, for very fast operations. */
  batch?: number;
  warmup?: number;
}

/** Runs `fn` repeatedly and returns median/p10/p90 per call in microseconds. */
export function measure(fn: () => unknown, opts: MeasureOptions = {}): Pick<BenchRow, 'medianUs' | 'p10Us' | 'p90Us' | 'samples'> {
  const { minSamples = 15, minTimeMs = 300, maxSamples = 5000, batch = 1, warmup = 3 } = opts;
  for (let i = 0; i < warmup; i++) for (let j = 0; j < batch; j++) fn();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < maxSamples && (samples.length < minSamples || performance.now() - start < minTimeMs)) {
    const t0 = performance.now();
    for (let j = 0; j < batch; j++) fn();
    samples.push(((performance.now() - t0) * 1000) / batch);
  }
  return summarize(samples);
}

/** Median/p10/p90 of samples given in microseconds. */
export function summarize(samples: number[]): Pick<BenchRow, 'medianUs' | 'p10Us' | 'p90Us' | 'samples'> {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))] ?? NaN;
  return { medianUs: at(0.5), p10Us: at(0.1), p90Us: at(0.9), samples: s.length };
}

/** Formats microseconds with a unit a reader can scan. */
export function formatUs(us: number): string {
  if (us >= 1_000_000) return `${(us / 1_000_000).toFixed(2)} s`;
  if (us >= 1000) return `${(us / 1000).toFixed(2)} ms`;
  return `${us.toFixed(1)} us`;
}

/** Prints rows of one section as an aligned table. */
export function printTable(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(`\n## ${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/** Writes a JSON results file, creating its folder. */
export function writeJson(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(data, null, 2) + '\n');
}

/**
 * Wall and CPU time of one call, in microseconds. CPU is process.cpuUsage: every thread of this
 * process (GC helpers, worker pools), printed beside wall time because on a shared 2-core box wall
 * time also counts the time other processes held the CPU.
 */
export interface Timing {
  readonly wall: number;
  readonly cpu: number;
}

/** This process's CPU time so far (user + system), in microseconds. */
export function cpuNowUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Runs `f` once and returns its result with its wall and CPU time in microseconds. */
export function timeUs<T>(f: () => T): [T, Timing] {
  const c0 = cpuNowUs();
  const t0 = performance.now();
  const out = f();
  const wall = (performance.now() - t0) * 1000;
  return [out, { wall, cpu: cpuNowUs() - c0 }];
}

/** timeUs for an async `f`. */
export async function timeUsAsync<T>(f: () => Promise<T>): Promise<[T, Timing]> {
  const c0 = cpuNowUs();
  const t0 = performance.now();
  const out = await f();
  const wall = (performance.now() - t0) * 1000;
  return [out, { wall, cpu: cpuNowUs() - c0 }];
}
