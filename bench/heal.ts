// Heal costs, measured in the deterministic simulator with the real engine (node provider):
// everything created after the heal until the group is quiet again, i.e. until every member whose
// own key refresh was lost has refreshed again (its Update proposal committed by the rebase).
//  - two sites apart, 50 commits each, N=128: budget 250 ms CPU per device, 2 commits, 48 KB
//  - a 4-way partition at N=128 in which every member updated: budget 4 commits, 64 KB
// and the engine's ingest cost per event with 1,000 and 100,000 events of history (must not grow).
// Usage: pnpm bench heal   (WEFT_BENCH_HEAL_N=32 and WEFT_BENCH_HEAL_HISTORY=20000 to shrink;
// WEFT_BENCH_HEAL_PARTS=heal or =ingest to run one part)
import { createDevice } from '../packages/merge/src/index.ts';
import type { DeviceRuntime, Effects } from '../packages/merge/src/index.ts';
import { buildReport, createDeviceRandom, parseScenario, runScenario, mergeEngine } from '../packages/sim/src/index.ts';
import type { RunResult } from '../packages/sim/src/index.ts';
import { formatUs, printTable, summarize } from './harness.ts';
import type { BenchRow } from './harness.ts';

const N = Number(process.env['WEFT_BENCH_HEAL_N'] ?? 128);
const HISTORY = Number(process.env['WEFT_BENCH_HEAL_HISTORY'] ?? 100_000);
/** Which parts to run: 'heal', 'ingest' or both (default). */
const PARTS = new Set((process.env['WEFT_BENCH_HEAL_PARTS'] ?? 'heal,ingest').split(','));

interface HealFigures {
  cpuMs: number[];
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

/** Two sites apart, `perSide` update commits on each side, then a heal. */
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
  return measureHeal(await runScenario(scenario, { engine: mergeEngine, seed: 1 }), [...sideA, ...sideB]);
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
    const max = Math.max(...f.cpuMs);
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
      `${formatUs(s.medianUs)} / ${max.toFixed(1)} ms`,
      String(f.commits),
      String(f.proposals),
      `${kb.toFixed(1)} KB`,
      `${f.refreshed}/${f.staleUpdaters}`,
      f.ok ? 'yes' : 'NO',
      rows[rows.length - 1]!.extra!.budget as string,
      within ? 'yes' : 'NO',
    ]);
  };

  if (PARTS.has('heal')) {
    healRow(`two sites, 50 commits each, N=${N}`, await runTwoSites(N, Math.min(50, N / 2 - 1)), { cpuMs: 250, commits: 2, kb: 48 });
    healRow(`4-way partition, all updated, N=${N}`, await runFourWay(N), { commits: 4, kb: 64 });
  }
  if (table.length > 0) printTable('heal: cost after the heal until every lost refresh is redone (node provider)', ['case', 'CPU/device median / max', 'commits', 'proposals', 'handshake', 'refreshed', 'invariants', 'budget', 'within'], table);

  const ingest = PARTS.has('ingest') ? measureIngest([1_000, HISTORY]) : [];
  const ingestTable: string[][] = [];
  for (const x of ingest) {
    rows.push({ section: 'heal', name: 'engine ingest per event', params: { history: x.history, provider: 'node' }, ...x.us });
    ingestTable.push([x.history.toLocaleString('en'), formatUs(x.us.medianUs), formatUs(x.us.p10Us), formatUs(x.us.p90Us)]);
  }
  const [small, large] = ingest;
  if (small && large) ingestTable.push(['ratio', `${(large.us.medianUs / small.us.medianUs).toFixed(2)}x`, '', '']);
  if (ingestTable.length > 0) printTable('engine ingest per event (messages, a commit every 500) by history size', ['history events', 'median', 'p10', 'p90'], ingestTable);
  return rows;
}
