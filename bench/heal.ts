// Heal costs, measured in the deterministic simulator with the real engine (node provider):
// everything created after the heal until the group is quiet again, i.e. until every member whose
// own key refresh was lost has refreshed again (its Update proposal committed by the rebase).
//  - two sites apart, 50 commits each, N=128: budget 250 ms CPU per device, 2 commits, 48 KB
//  - a 4-way partition at N=128 in which every member updated: budget 4 commits, 64 KB
// and the engine's ingest cost per event with 1,000 and 100,000 events of history (must not grow).
// Usage: pnpm bench heal   (WEFT_BENCH_HEAL_N=32 and WEFT_BENCH_HEAL_HISTORY=20000 to shrink;
// WEFT_BENCH_HEAL_PARTS=heal or =ingest to run one part, =two for the two-site heal alone)
// The two-site case also prints a GC audit of the slowest calls, and replays its slowest devices in
// isolated child processes; its verdict uses those devices' isolated (own-heap) CPU (see replaySlowest).
import { PerformanceObserver } from 'node:perf_hooks';
import type { PerformanceEntry } from 'node:perf_hooks';
import { createDevice } from '../packages/merge/src/index.ts';
import type { DeviceRuntime, Effects } from '../packages/merge/src/index.ts';
import { buildReport, createDeviceRandom, parseScenario, runScenario, mergeEngine } from '../packages/sim/src/index.ts';
import type { DeviceCall, DeviceCallRecord, RunResult, Scenario } from '../packages/sim/src/index.ts';
import { formatUs, printTable, summarize } from './harness.ts';
import type { BenchRow } from './harness.ts';
import { replayInChild } from './healReplay.ts';

const N = Number(process.env['WEFT_BENCH_HEAL_N'] ?? 128);
const HISTORY = Number(process.env['WEFT_BENCH_HEAL_HISTORY'] ?? 100_000);
/** Which parts to run: 'heal', 'ingest' or both (default); 'two' runs only the two-site heal. */
const PARTS = new Set((process.env['WEFT_BENCH_HEAL_PARTS'] ?? 'heal,ingest').split(','));
/** At most this many devices are replayed in isolation (the rule below usually stops far earlier). */
const MAX_REPLAYS = Number(process.env['WEFT_BENCH_HEAL_MAX_REPLAYS'] ?? 40);
/** Measured passes per isolated replay (after one warm-up pass); the figure is their median. */
const REPLAY_PASSES = Number(process.env['WEFT_BENCH_HEAL_REPLAY_PASSES'] ?? 3);

interface HealFigures {
  /** CPU ms per device since the heal, measured inside the shared simulator process. */
  cpuMs: number[];
  /** Per device: the isolated replay figure where the device was replayed, else the shared one. */
  verdictCpuMs?: number[];
  commits: number;
  proposals: number;
  handshakeBytes: number;
  /** Bytes of the branches made while apart that replicated after the heal (not created by it). */
  replicatedBytes: number;
  staleUpdaters: number;
  refreshed: number;
  ok: boolean;
  simulatedMs: number;
}

/** Post-heal figures of a run whose last heal step is the heal being measured. */
function measureHeal(run: RunResult, updaters: string[]): HealFigures {
  const healAt = run.heals[run.heals.length - 1] ?? 0;
  const after = run.published.filter((p) => p.at >= healAt);
  const before = run.published.filter((p) => p.at < healAt && p.kind !== 'message');
  const report = buildReport(run);
  const chain = new Set(run.sites[0]?.resolution?.chain ?? []);
  // A member's refresh was lost when its update commit is not on the canonical chain.
  const stale = updaters.filter((id) => run.operations.some((o) => o.by === id && o.kind === 'update' && o.published.some((c) => !chain.has(c) && run.published.some((p) => p.cid === c && p.kind === 'commit'))));
  const proposers = new Set(after.filter((p) => p.kind === 'proposal').map((p) => p.author));
  return {
    cpuMs: run.devices.map((d) => d.cpuMsSinceHeal),
    commits: after.filter((p) => p.kind === 'commit').length,
    proposals: after.filter((p) => p.kind === 'proposal').length,
    handshakeBytes: after.filter((p) => p.kind !== 'message').reduce((n, p) => n + p.bytes, 0),
    replicatedBytes: before.reduce((n, p) => n + p.bytes, 0),
    staleUpdaters: stale.length,
    refreshed: stale.filter((id) => proposers.has(id)).length,
    ok: report.ok,
    simulatedMs: run.endTime - healAt,
  };
}

function devicesOn(sites: string[], n: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) out[`p${i}`] = sites[Math.floor((i * sites.length) / n)] as string;
  return out;
}

/** Two sites apart, `perSide` update commits on each side, then a heal; audited and replayed (below). */
async function runTwoSites(n: number, perSide: number): Promise<HealFigures> {
  const devices = devicesOn(['a', 'b'], n);
  const sideA = Object.keys(devices).filter((d) => devices[d] === 'a').slice(1, perSide + 1);
  const sideB = Object.keys(devices).filter((d) => devices[d] === 'b').slice(0, perSide);
  const scenario = parseScenario({
    name: `heal-two-sites-n${n}`,
    sites: ['a', 'b'],
    devices,
    network: { latency: [20, 50], loss: 0 },
    rebaseIntervalMs: 500,
    steps: [
      { at: 0, do: 'create', by: 'p0' },
      { at: 10, do: 'add', by: 'p0', members: Object.keys(devices).slice(1) },
      { do: 'partition', groups: [['a'], ['b']] },
      ...sideA.map((d) => ({ do: 'update', by: d })),
      ...sideB.map((d) => ({ do: 'update', by: d })),
      { do: 'heal' },
    ],
  });
  const seed = 1;
  const recorded = await runRecorded(scenario, seed);
  const figures = measureHeal(recorded.run, [...sideA, ...sideB]);
  printGcAudit(recorded);
  return { ...figures, verdictCpuMs: await replaySlowest(scenario, seed, recorded) };
}

/** A GC pause as PerformanceObserver reports it (performance.now() timeline). */
interface GcPause {
  start: number;
  end: number;
  /** NODE_PERFORMANCE_GC_* kind: 1 minor (scavenge), 4 major (mark-compact), 8 incremental, 16 weak callbacks. */
  kind: number;
}

interface RecordedRun {
  run: RunResult;
  /** Every call into each device, in order. */
  calls: Map<string, DeviceCallRecord[]>;
  gc: GcPause[];
}

/** Runs a scenario while recording every device call and every GC pause of this process. */
async function runRecorded(scenario: Scenario, seed: number): Promise<RecordedRun> {
  const calls = new Map<string, DeviceCallRecord[]>();
  const gc: GcPause[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gc.push({ start: e.startTime, end: e.startTime + e.duration, kind: ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind) ?? 0 });
  });
  observer.observe({ entryTypes: ['gc'] });
  const run = await runScenario(scenario, {
    engine: mergeEngine,
    seed,
    onDeviceCall: (r) => {
      let list = calls.get(r.device);
      if (!list) calls.set(r.device, (list = []));
      list.push(r);
    },
  });
  await new Promise((r) => setTimeout(r, 20)); // GC entries are delivered asynchronously
  observer.disconnect();
  return { run, calls, gc };
}

/** GC pause ms inside [start, end], in total and of major (mark-compact) collections. */
function gcInside(gc: readonly GcPause[], start: number, end: number): { ms: number; majorMs: number; count: number } {
  let ms = 0;
  let majorMs = 0;
  let count = 0;
  for (const g of gc) {
    const o = Math.min(end, g.end) - Math.max(start, g.start);
    if (o <= 0) continue;
    ms += o;
    count++;
    if (g.kind === 4) majorMs += o;
  }
  return { ms, majorMs, count };
}

/** Calls charged to devices after the last heal step. */
function listHealCalls(rec: RecordedRun): DeviceCallRecord[] {
  const heals = rec.run.heals.length;
  return [...rec.calls.values()].flat().filter((c) => c.heals === heals && c.cpuMs !== undefined);
}

/** Prints where the post-heal CPU went and how much of it was this process's GC pauses. */
function printGcAudit(rec: RecordedRun): void {
  const calls = listHealCalls(rec);
  const rows = calls.map((c) => ({ c, wall: c.wallEnd - c.wallStart, gc: gcInside(rec.gc, c.wallStart, c.wallEnd) }));
  const fmt = (x: number): string => x.toFixed(1);
  const slow = [...rows].sort((x, y) => (y.c.cpuMs ?? 0) - (x.c.cpuMs ?? 0)).slice(0, 15);
  printTable(
    'heal GC audit: slowest single device calls after the heal (shared process)',
    ['device', 'call', 'sim ms', 'CPU ms', 'wall ms', 'GC pause ms (wall)', 'of it major', 'GC pauses'],
    slow.map(({ c, wall, gc }) => [c.device, c.call.method, String(c.at), fmt(c.cpuMs ?? 0), fmt(wall), fmt(gc.ms), fmt(gc.majorMs), String(gc.count)]),
  );
  const byDevice = new Map<string, { cpu: number; gc: number; major: number; calls: number; slowest: number }>();
  for (const { c, gc } of rows) {
    const d = byDevice.get(c.device) ?? { cpu: 0, gc: 0, major: 0, calls: 0, slowest: 0 };
    d.cpu += c.cpuMs ?? 0;
    d.gc += gc.ms;
    d.major += gc.majorMs;
    d.calls++;
    d.slowest = Math.max(d.slowest, c.cpuMs ?? 0);
    byDevice.set(c.device, d);
  }
  const devs = [...byDevice.entries()].sort((x, y) => y[1].cpu - x[1].cpu);
  const table = devs.slice(0, 10).map(([id, d]) => [id, fmt(d.cpu), fmt(d.gc), fmt(d.major), String(d.calls), fmt(d.slowest)]);
  const totalCpu = devs.reduce((n, [, d]) => n + d.cpu, 0);
  const totalGc = devs.reduce((n, [, d]) => n + d.gc, 0);
  const medianDev = devs[Math.floor(devs.length / 2)]?.[1];
  if (medianDev) table.push(['(median device)', fmt(medianDev.cpu), fmt(medianDev.gc), fmt(medianDev.major), String(medianDev.calls), fmt(medianDev.slowest)]);
  table.push([`(all ${devs.length})`, fmt(totalCpu), fmt(totalGc), fmt(devs.reduce((n, [, d]) => n + d.major, 0)), String(rows.length), '']);
  // Pause lengths are wall clock: with other load on the machine they include time the process
  // was not running, so they are compared with CPU only through the same-event table below.
  printTable('heal GC audit: devices with the most CPU after the heal (shared process)', ['device', 'CPU ms', 'GC pause ms in its calls (wall)', 'of it major', 'calls', 'slowest call ms'], table);
  // Same work with and without a GC pause: every device ingests the same events, so each ingest
  // that a GC pause hit is compared with the median CPU of the ingests of the same event that no
  // pause hit (wall-clock pause lengths are inflated by other load; this comparison is CPU only).
  const eventKey = (b: Uint8Array): string => `${b.length}:${Buffer.from(b.buffer, b.byteOffset + Math.max(0, b.length - 16), Math.min(16, b.length)).toString('hex')}`;
  const clean = new Map<string, number[]>();
  for (const { c, gc } of rows) if (c.call.method === 'ingest' && gc.count === 0) clean.set(eventKey(c.call.event), [...(clean.get(eventKey(c.call.event)) ?? []), c.cpuMs ?? 0]);
  const excess = new Map<string, { calls: number; ms: number }>();
  let hit = 0;
  let hitCpu = 0;
  let hitBaseline = 0;
  for (const { c, gc } of rows) {
    if (c.call.method !== 'ingest' || gc.count === 0) continue;
    const base = clean.get(eventKey(c.call.event));
    if (!base || base.length < 3) continue;
    const m = median(base);
    hit++;
    hitCpu += c.cpuMs ?? 0;
    hitBaseline += m;
    const e = excess.get(c.device) ?? { calls: 0, ms: 0 };
    e.calls++;
    e.ms += Math.max(0, (c.cpuMs ?? 0) - m);
    excess.set(c.device, e);
  }
  const own = devs.map(([id, d]) => ({ id, cpu: d.cpu, gcCalls: excess.get(id)?.calls ?? 0, excess: excess.get(id)?.ms ?? 0 }));
  printTable(
    'heal GC audit: ingest calls a GC pause hit vs. the same event ingested by other devices without one (CPU ms)',
    ['device', 'CPU since heal', 'ingests hit by GC', 'CPU above same-event median', 'CPU without that excess'],
    [...own].sort((x, y) => y.cpu - x.cpu).slice(0, 10).map((o) => [o.id, fmt(o.cpu), String(o.gcCalls), fmt(o.excess), fmt(o.cpu - o.excess)]),
  );
  const maxWithout = Math.max(...own.map((o) => o.cpu - o.excess));
  console.log(
    `${hit} ingest calls hit by a GC pause cost ${fmt(hitCpu)} ms CPU; the same events cost ${fmt(hitBaseline)} ms at the no-GC median ` +
      `(${fmt(hitCpu / Math.max(1e-9, hitBaseline))}x). Max CPU/device ${fmt(Math.max(...own.map((o) => o.cpu)))} ms; without the excess of GC-hit ingests ${fmt(maxWithout)} ms.`,
  );
  const allGc = rec.gc.filter((g) => g.start >= (calls[0]?.wallStart ?? Infinity));
  const big = rows.filter((r) => (r.c.cpuMs ?? 0) >= 20);
  console.log(
    `GC after the heal: ${allGc.length} pauses, ${fmt(allGc.reduce((n, g) => n + g.end - g.start, 0))} ms (${allGc.filter((g) => g.kind === 4).length} major); ` +
      `calls >= 20 ms CPU: ${big.length}, of which ${big.filter((r) => r.gc.ms > 0).length} contain a GC pause`,
  );
}

/**
 * Replays the devices that cost most in the shared process, one at a time, each into a fresh device
 * in its own child process (own heap and CPU clock; see healReplay.ts), and measures its CPU from
 * the heal on. Devices are replayed in
 * order of their shared figure until the next one's shared figure is no higher than the highest
 * isolated figure so far, so the max over all devices (isolated where replayed, shared elsewhere)
 * is exact; no device and no call is left out. A replay that publishes anything other than the
 * shared run's events (CIDs) for that device, or ends in another head, tree hash or exporter
 * secret, aborts the bench: it would not be the same work.
 */
async function replaySlowest(scenario: Scenario, seed: number, rec: RecordedRun): Promise<number[]> {
  const heals = rec.run.heals.length;
  const verdict = rec.run.devices.map((d) => d.cpuMsSinceHeal);
  const order = rec.run.devices.map((d, i) => ({ id: d.id, i, shared: d.cpuMsSinceHeal })).sort((x, y) => y.shared - x.shared);
  const table: string[][] = [];
  let maxIsolated = 0;
  for (const [rank, d] of order.entries()) {
    if (rank >= MAX_REPLAYS || (rank > 0 && d.shared <= maxIsolated)) break;
    const records = rec.calls.get(d.id) ?? [];
    const calls: DeviceCall[] = records.map((r) => r.call);
    const measureFrom = records.findIndex((r) => r.heals === heals);
    const out = await replayInChild({
      id: d.id,
      seed,
      suite: scenario.suite,
      ...(scenario.rebaseIntervalMs !== undefined ? { rebaseIntervalMs: scenario.rebaseIntervalMs } : {}),
      ...(scenario.retention ? { retention: scenario.retention } : {}),
      calls,
      measureFrom: measureFrom < 0 ? calls.length : measureFrom,
      passes: REPLAY_PASSES,
    });
    const expected = rec.run.published.filter((p) => p.author === d.id).map((p) => p.cid);
    const view = rec.run.devices[d.i]!.view;
    const sameState = out.view.head === view.head && out.view.treeHash === view.treeHash && out.view.exporter === view.exporter;
    if (out.errors.length > 0 || out.published.join() !== expected.join() || !sameState) {
      throw new Error(`replay of ${d.id} is not the same work: ${out.errors.join('; ') || `published ${out.published.length} events (shared run ${expected.length}), same CIDs ${out.published.join() === expected.join()}, same head/tree hash/exporter ${sameState}`}`);
    }
    verdict[d.i] = out.cpuMs;
    maxIsolated = Math.max(maxIsolated, out.cpuMs);
    const sharedCalls = records.slice(measureFrom).map((r) => r.cpuMs ?? 0);
    const sharedGc = records.slice(measureFrom).reduce((n, r) => n + gcInside(rec.gc, r.wallStart, r.wallEnd).ms, 0);
    table.push([d.id, d.shared.toFixed(1), sharedGc.toFixed(1), Math.max(...sharedCalls).toFixed(1), out.cpuMs.toFixed(1), out.passesCpuMs.map((x) => x.toFixed(0)).join(' '), out.coldCpuMs.toFixed(1), out.gcMs.toFixed(1), out.slowestCallMs.toFixed(1), `${expected.length} same, same exporter`]);
  }
  const shared = Math.max(...rec.run.devices.map((d) => d.cpuMsSinceHeal));
  console.log(
    `verdict CPU/device: max over all ${verdict.length} devices of the isolated figure where replayed (${table.length} devices), else the shared one: ${Math.max(...verdict).toFixed(1)} ms ` +
      `(shared-process max ${shared.toFixed(1)} ms). Isolated, because a real device runs in a process of its own; in the shared process a call also pays for collecting the other devices' garbage.`,
  );
  printTable(
    'heal: slowest devices replayed in isolation (own process and heap), CPU ms since the heal',
    ['device', 'shared', 'shared: GC pauses in its calls (wall)', 'shared: slowest call', 'isolated (verdict: median pass)', 'isolated passes', 'isolated, cold code', 'isolated: GC pauses (wall)', 'isolated: slowest call', 'published CIDs'],
    table,
  );
  return verdict;
}

/** Four sites apart; every member updates once; then a heal. */
async function runFourWay(n: number): Promise<HealFigures> {
  const sites = ['s0', 's1', 's2', 's3'];
  const devices = devicesOn(sites, n);
  const ids = Object.keys(devices);
  const scenario = parseScenario({
    name: `heal-four-way-n${n}`,
    sites,
    devices,
    network: { latency: [20, 50], loss: 0 },
    rebaseIntervalMs: 500,
    steps: [
      { at: 0, do: 'create', by: 'p0' },
      { at: 10, do: 'add', by: 'p0', members: ids.slice(1) },
      { do: 'partition', groups: sites.map((s) => [s]) },
      ...ids.map((d) => ({ do: 'update', by: d })),
      { do: 'heal' },
    ],
  });
  return measureHeal(await runScenario(scenario, { engine: mergeEngine, seed: 2 }), ids);
}

/** Engine ingest cost per event after `marks` events of history (messages, a commit every 500). */
function measureIngest(marks: number[], sample = 400): { history: number; us: ReturnType<typeof summarize> }[] {
  const a = createDevice({ id: 'writer', suite: 1, random: createDeviceRandom(3, 'writer') });
  const b = createDevice({ id: 'reader', suite: 1, random: createDeviceRandom(3, 'reader') });
  let events = 0;
  const feed = (fx: Effects, timed?: number[]): void => {
    for (const e of fx.publish) {
      events++;
      const t0 = process.cpuUsage();
      b.ingest(e, events);
      const d = process.cpuUsage(t0);
      if (timed) timed.push(d.user + d.system); // CPU us: robust to other load on the machine
    }
  };
  const step = (i: number, timed?: number[]): void => {
    feed(i % 500 === 499 ? a.update(events) : a.send(`message ${i}`, events), timed);
  };
  feed(a.createGroup(0));
  feed(a.add([b.createKeyPackage()], 1));
  const out: { history: number; us: ReturnType<typeof summarize> }[] = [];
  let i = 0;
  for (const mark of marks) {
    while (events < mark) step(i++);
    const timed: number[] = [];
    for (let k = 0; k < sample; k++) step(i++, timed);
    out.push({ history: mark, us: summarize(timed) });
  }
  void (b as DeviceRuntime);
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor((s.length - 1) / 2)] ?? 0;
}

/** Runs the heal section. */
export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const table: string[][] = [];
  const healRow = (name: string, f: HealFigures, budget: { cpuMs?: number; commits: number; kb: number }): void => {
    const sharedMax = Math.max(...f.cpuMs);
    // The verdict uses each device's own cost: its isolated replay where it was replayed (see
    // replaySlowest), else its shared-process figure, which is never lower in practice.
    const max = Math.max(...(f.verdictCpuMs ?? f.cpuMs));
    const kb = f.handshakeBytes / 1024;
    const within = (budget.cpuMs === undefined || max <= budget.cpuMs) && f.commits <= budget.commits && kb <= budget.kb && f.ok && f.refreshed === f.staleUpdaters;
    const s = summarize(f.cpuMs.map((ms) => ms * 1000));
    rows.push({
      section: 'heal',
      name,
      params: { N, provider: 'node' },
      ...s,
      extra: {
        maxCpuMsPerDevice: Math.round(max * 10) / 10,
        sharedProcessMaxCpuMsPerDevice: Math.round(sharedMax * 10) / 10,
        verdictCpu: f.verdictCpuMs ? 'isolated replay of the slowest devices, shared figure for the rest' : 'shared process',
        medianCpuMsPerDevice: Math.round(median(f.cpuMs) * 10) / 10,
        commits: f.commits,
        proposals: f.proposals,
        handshakeBytes: f.handshakeBytes,
        replicatedBranchBytes: f.replicatedBytes,
        staleUpdaters: f.staleUpdaters,
        refreshedAgain: f.refreshed,
        simulatedMsToQuiet: f.simulatedMs,
        invariantsHeld: String(f.ok),
        budget: `${budget.cpuMs !== undefined ? `<=${budget.cpuMs} ms CPU/device, ` : ''}<=${budget.commits} commits, <=${budget.kb} KB`,
        withinBudget: String(within),
      },
    });
    table.push([
      name,
      `${formatUs(s.medianUs)} / ${sharedMax.toFixed(1)} ms`,
      f.verdictCpuMs ? `${max.toFixed(1)} ms` : '-',
      String(f.commits),
      String(f.proposals),
      `${kb.toFixed(1)} KB`,
      `${f.refreshed}/${f.staleUpdaters}`,
      f.ok ? 'yes' : 'NO',
      rows[rows.length - 1]!.extra!.budget as string,
      within ? 'yes' : 'NO',
    ]);
  };

  if (PARTS.has('heal') || PARTS.has('two')) {
    healRow(`two sites, 50 commits each, N=${N}`, await runTwoSites(N, Math.min(50, N / 2 - 1)), { cpuMs: 250, commits: 2, kb: 48 });
  }
  if (PARTS.has('heal')) healRow(`4-way partition, all updated, N=${N}`, await runFourWay(N), { commits: 4, kb: 64 });
  if (table.length > 0) printTable('heal: cost after the heal until every lost refresh is redone (node provider)', ['case', 'CPU/device median / max (shared process)', 'max, own cost (verdict)', 'commits', 'proposals', 'handshake', 'refreshed', 'invariants', 'budget', 'within'], table);

  // Marks on both sides of the default message horizon (4,096 heights): past it, every new event
  // also evicts the message keys that fall out of the horizon, a constant extra per event, so the
  // cost steps up once and must then stay flat however long the history grows.
  const marks = [...new Set([1_000, 10_000, 30_000, HISTORY])].filter((m) => m <= HISTORY).sort((x, y) => x - y);
  const ingest = PARTS.has('ingest') ? measureIngest(marks, 1_000) : [];
  const ingestTable: string[][] = [];
  for (const x of ingest) {
    rows.push({ section: 'heal', name: 'engine ingest per event', params: { history: x.history, provider: 'node' }, ...x.us });
    ingestTable.push([x.history.toLocaleString('en'), formatUs(x.us.medianUs), formatUs(x.us.p10Us), formatUs(x.us.p90Us)]);
  }
  const small = ingest[0];
  const past = ingest.find((x) => x.history >= 10_000);
  const large = ingest[ingest.length - 1];
  if (small && large && large !== small) ingestTable.push([`ratio ${large.history.toLocaleString('en')} / ${small.history.toLocaleString('en')}`, `${(large.us.medianUs / small.us.medianUs).toFixed(2)}x`, '', '']);
  if (past && large && large !== past) ingestTable.push([`ratio ${large.history.toLocaleString('en')} / ${past.history.toLocaleString('en')} (both past the message horizon)`, `${(large.us.medianUs / past.us.medianUs).toFixed(2)}x`, '', '']);
  if (ingestTable.length > 0) printTable('engine ingest per event (messages, a commit every 500) by history size', ['history events', 'median', 'p10', 'p90'], ingestTable);
  return rows;
}
