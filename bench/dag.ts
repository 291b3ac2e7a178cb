// DAG ingest: validate (strict decode, CID, schema), verify (Ed25519, node provider) and store
// (LevelDB, atomic batches) of generated signed DAGs, at 1,000 and 100,000 events.
// Usage: pnpm bench dag   (WEFT_BENCH_DAG_EVENTS=20000 to shrink the large run)
import { mkdtempSync, rmSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCipherSuite } from '@weft/crypto';
import { createSuiteResolver, createWorkerVerifier, decodeEvent, generateDag, getSigningPayload, openLevelStore } from '@weft/dag';
import type { BatchVerifier } from '@weft/dag';
import { formatUs, printTable, summarize } from './harness.ts';
import type { BenchRow } from './harness.ts';

const LARGE = Number(process.env['WEFT_BENCH_DAG_EVENTS'] ?? 100_000);
const SMALL = 1_000;
const CHUNK = 10_000; // blocks per addMany call, as an import offers them (the store pipelines within a call)

// A full GC on demand, to tell retained memory from garbage not yet collected.
setFlagsFromString('--expose_gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Generated DAG as raw blocks only (what arrives from the network or a CAR file). */
function generateBlocks(events: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const e of generateDag({ events, groups: Math.max(1, Math.round(events / 10_000)), forkRate: 0.05, seed: 3 })) out.push(e.bytes);
  return out;
}

interface IngestRun {
  totalMs: number;
  /** us per event for each slice of 10% of the events, to show the cost does not grow. */
  sliceUs: number[];
  /** CPU time (all threads: main, workers, LevelDB) per event, per slice: robust to other load. */
  sliceCpuUs: number[];
  cpuUsPerEvent: number;
  peakRssMb: number;
  peakHeapMb: number;
  /** Heap still in use after a full GC with the store open: what ingest really retains. */
  retainedHeapMb: number;
  accepted: number;
  /** Share of the run each thread's event loop waited with nothing to do: main thread, then verifier threads. */
  idleMain: number;
  idleWorkers: number[];
}

/** Idle share of an interval from two cumulative event-loop readings. */
function idleShare(before: { idle: number; active: number }, after: { idle: number; active: number }): number {
  const idle = after.idle - before.idle;
  const total = idle + after.active - before.active;
  return total > 0 ? idle / total : 0;
}

/** Ingests blocks into a fresh LevelDB store; returns timings and memory. */
async function ingest(blocks: readonly Uint8Array[], verifier?: BatchVerifier): Promise<IngestRun> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-dag-'));
  const store = await openLevelStore(dir, { resolveSuite: createSuiteResolver('node'), ...(verifier ? { verifier } : {}) });
  let peakRss = 0;
  let peakHeap = 0;
  const sampleMemory = (): void => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const slice = Math.max(CHUNK, Math.ceil(blocks.length / 10));
  const sliceUs: number[] = [];
  const sliceCpuUs: number[] = [];
  let accepted = 0;
  const elu0 = performance.eventLoopUtilization();
  const threads0 = verifier?.threadTimes?.() ?? [];
  const cpu0 = process.cpuUsage();
  let sliceCpu = cpu0;
  const t0 = performance.now();
  let sliceStart = t0;
  let inSlice = 0;
  for (let i = 0; i < blocks.length; i += CHUNK) {
    const part = blocks.slice(i, i + CHUNK).map((bytes) => ({ bytes }));
    const results = await store.addMany(part);
    for (const r of results) if (r.status === 'accepted') accepted++;
    inSlice += part.length;
    if (inSlice >= slice || i + CHUNK >= blocks.length) {
      const now = performance.now();
      sliceUs.push(((now - sliceStart) * 1000) / inSlice);
      const c = process.cpuUsage(sliceCpu);
      sliceCpuUs.push((c.user + c.system) / inSlice);
      sliceCpu = process.cpuUsage();
      sliceStart = now;
      inSlice = 0;
      sampleMemory();
    }
  }
  const totalMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const elu1 = performance.eventLoopUtilization();
  const threads1 = verifier?.threadTimes?.() ?? [];
  sampleMemory();
  collectGarbage();
  const retainedHeapMb = process.memoryUsage().heapUsed / 2 ** 20;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { totalMs, sliceUs, sliceCpuUs, cpuUsPerEvent: (cpu.user + cpu.system) / blocks.length, peakRssMb: peakRss / 2 ** 20, peakHeapMb: peakHeap / 2 ** 20, retainedHeapMb, accepted, idleMain: idleShare(elu0, elu1), idleWorkers: threads1.map((t, i) => idleShare(threads0[i] ?? { idle: 0, active: 0 }, t)) };
}

/** Benchmark rows for the dag section. */
export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const suite = getCipherSuite(1, 'node');

  const tGen = performance.now();
  const small = generateBlocks(SMALL);
  const large = generateBlocks(LARGE);
  const genMs = performance.now() - tGen;

  // Floor: signature verification alone over the same events.
  const decoded = large.slice(0, 5_000).map((b) => decodeEvent(b));
  const payloads = decoded.map((d) => getSigningPayload(d.event));
  const verifyUs: number[] = [];
  for (let round = 0; round < 5; round++) {
    const t = performance.now();
    decoded.forEach((d, i) => suite.verify(d.event.author.key, payloads[i] as Uint8Array, d.event.sig));
    verifyUs.push(((performance.now() - t) * 1000) / decoded.length);
  }
  const floor = summarize(verifyUs);
  rows.push({ section: 'dag', name: 'Ed25519 verify only (floor)', params: { provider: 'node', events: decoded.length }, ...floor, extra: { eventsPerSec: Math.round(1e6 / floor.medianUs) } });

  const workers = createWorkerVerifier({ threads: 2, provider: 'node' });
  for (const [mode, verifier] of [['inline', undefined], ['2 worker threads', workers]] as const) {
    // Small DAG: median of several fresh-store runs.
    const smallRuns: IngestRun[] = [];
    for (let i = 0; i < 7; i++) smallRuns.push(await ingest(small, verifier));
    const smallPer = summarize(smallRuns.map((r) => (r.totalMs * 1000) / SMALL));
    rows.push({
      section: 'dag',
      name: 'ingest (validate, verify, store)',
      params: { provider: 'node', store: 'level', verify: mode, events: SMALL },
      ...smallPer,
      extra: {
        eventsPerSec: Math.round(1e6 / smallPer.medianUs),
        cpuUsPerEvent: Number(summarize(smallRuns.map((r) => r.cpuUsPerEvent)).medianUs.toFixed(1)),
        accepted: smallRuns[0]?.accepted ?? 0,
      },
    });

    const big = await ingest(large, verifier);
    const perEvent = (big.totalMs * 1000) / LARGE;
    const slices = summarize(big.sliceUs);
    rows.push({
      section: 'dag',
      name: 'ingest (validate, verify, store)',
      params: { provider: 'node', store: 'level', verify: mode, events: LARGE },
      medianUs: perEvent,
      p10Us: slices.p10Us,
      p90Us: slices.p90Us,
      samples: big.sliceUs.length,
      extra: {
        eventsPerSec: Math.round(1e6 / perEvent),
        totalSec: Number((big.totalMs / 1000).toFixed(2)),
        cpuUsPerEvent: Number(big.cpuUsPerEvent.toFixed(1)),
        firstSliceUs: Number((big.sliceUs[0] ?? 0).toFixed(1)),
        lastSliceUs: Number((big.sliceUs[big.sliceUs.length - 1] ?? 0).toFixed(1)),
        firstSliceCpuUs: Number((big.sliceCpuUs[0] ?? 0).toFixed(1)),
        lastSliceCpuUs: Number((big.sliceCpuUs[big.sliceCpuUs.length - 1] ?? 0).toFixed(1)),
        perEventRatioLargeToSmall: Number((perEvent / smallPer.medianUs).toFixed(2)),
        peakRssMb: Math.round(big.peakRssMb),
        peakHeapMb: Math.round(big.peakHeapMb),
        retainedHeapMb: Math.round(big.retainedHeapMb),
        accepted: big.accepted,
        idleMainPct: Number((100 * big.idleMain).toFixed(1)),
        idleWorkersPct: big.idleWorkers.map((x) => Number((100 * x).toFixed(1))).join('/'),
      },
    });
  }
  await workers.close();
  const last = rows[rows.length - 1];
  if (last?.extra) {
    last.extra['processMaxRssMb'] = Math.round(process.resourceUsage().maxRSS / 1024);
    last.extra['generateSec'] = Number((genMs / 1000).toFixed(1));
  }
  const load = (await import('node:os')).loadavg();
  console.log(`\nload average during the run (1/5/15 min): ${load.map((x) => x.toFixed(2)).join(' / ')}; generation of ${LARGE + SMALL} signed events took ${(genMs / 1000).toFixed(1)} s`);

  printTable(
    'dag ingest (node provider, LevelDB)',
    ['operation', 'verify', 'events', 'per event', 'events/s', 'CPU per event', 'p10..p90 per event', 'notes'],
    rows.map((r) => [
      r.name,
      String(r.params['verify'] ?? '-'),
      String(r.params['events']),
      formatUs(r.medianUs),
      String(r.extra?.['eventsPerSec'] ?? ''),
      r.extra?.['cpuUsPerEvent'] !== undefined ? formatUs(Number(r.extra['cpuUsPerEvent'])) : '-',
      `${formatUs(r.p10Us)} .. ${formatUs(r.p90Us)}`,
      r.extra && 'peakRssMb' in r.extra
        ? `peak RSS ${r.extra['peakRssMb']} MB, peak heap ${r.extra['peakHeapMb']} MB, heap after GC ${r.extra['retainedHeapMb']} MB, first/last 10%: ${r.extra['firstSliceUs']}/${r.extra['lastSliceUs']} us wall, ${r.extra['firstSliceCpuUs']}/${r.extra['lastSliceCpuUs']} us CPU, large/small ${r.extra['perEventRatioLargeToSmall']}, idle main ${r.extra['idleMainPct']}%${r.extra['idleWorkersPct'] ? `, workers ${r.extra['idleWorkersPct']}%` : ''}`
        : '',
    ]),
  );
  return rows;
}
