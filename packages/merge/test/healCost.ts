// Measures the heal cost of the issue's bench cases with the in-test harness: W sites apart, K
// commits on each (K = 'all': every member of the site updates once), N members.
// Run: pnpm tsx packages/merge/test/healCost.ts [N] [K] [W]   (defaults 128 50 2; also 128 all 4)
import { Net } from './harness.ts';
import { decodeEvent } from '@weft/dag';

const N = Number(process.argv[2] ?? 128);
const kArg = process.argv[3] ?? '50';
const W = Number(process.argv[4] ?? 2);
const ids = Array.from({ length: N }, (_, i) => `m${String(i).padStart(3, '0')}`);
const net = new Net();
let t = performance.now();
for (const id of ids) net.addDevice(id, { rebaseIntervalMs: 1000 });
net.formGroup(ids[0] as string, ids.slice(1));
console.log(`formed N=${N} in ${(performance.now() - t).toFixed(0)} ms`);
const sites = Array.from({ length: W }, (_, w) => ids.filter((_, i) => i % W === w));
net.split(...sites);
const K = kArg === 'all' ? Math.max(...sites.map((x) => x.length)) : Number(kArg);
t = performance.now();
for (let i = 0; i < K; i++) {
  for (const site of sites) if (i < site.length || kArg !== 'all') net.act(site[i % site.length] as string, (d, now) => d.update(now));
  net.flush();
}
console.log(`${K} commits per site (${W} sites) in ${(performance.now() - t).toFixed(0)} ms (all devices)`);
const west = sites[0] as string[];
const before = net.events.length;
const chainBefore = net.get(west[0] as string).getLedger()?.chain.length ?? 0;
net.heal();
// Per-device CPU: time each device's ingest calls during the heal.
const cpu = new Map<string, number>();
for (const [id, d] of net.devices) {
  const orig = d.ingest.bind(d);
  const origTick = d.tick.bind(d);
  // CPU time (not wall time: the machine may be shared), in ms.
  const time = <T>(f: () => T): T => {
    const s = process.cpuUsage();
    const r = f();
    const u = process.cpuUsage(s);
    cpu.set(id, (cpu.get(id) ?? 0) + (u.user + u.system) / 1000);
    return r;
  };
  d.ingest = (e, now) => time(() => orig(e, now));
  d.tick = (now) => time(() => origTick(now));
}
t = performance.now();
net.settle();
console.log(`heal settled in ${(performance.now() - t).toFixed(0)} ms total`);
const after = net.events.slice(before);
let bytes = 0;
let commits = 0;
const kinds = new Map<string, number>();
const kindBytes = new Map<string, number>();
let bodyBytes = 0;
for (const e of after) {
  const ev = decodeEvent(e).event;
  const k = ev.kind;
  if (k !== 'message') bodyBytes += ev.body.length;
  kinds.set(k, (kinds.get(k) ?? 0) + 1);
  if (k !== 'message') bytes += e.length;
  kindBytes.set(k, (kindBytes.get(k) ?? 0) + e.length);
  if (k === 'commit') commits++;
}
const cpus = [...cpu.values()].sort((a, b) => a - b);
console.log(`heal: ${commits} commits, ${bytes} handshake bytes, kinds ${JSON.stringify([...kinds])}, bytes by kind ${JSON.stringify([...kindBytes])}, MLS body bytes of handshakes ${bodyBytes}`);
console.log(`per-device CPU ms: median ${cpus[Math.floor(cpus.length / 2)]?.toFixed(1)} max ${cpus.at(-1)?.toFixed(1)}`);
const top = [...cpu].sort((a, b) => b[1] - a[1]).slice(0, 3);
console.log(`top: ${top.map(([id, ms]) => `${id} ${ms.toFixed(0)}ms rebases=${net.get(id).listRebases().length}`).join(', ')}`);
const heads = new Set([...net.devices.values()].map((d) => d.view().head));
const exps = new Set([...net.devices.values()].map((d) => d.view().exporter));
console.log(`converged heads=${heads.size} exporters=${exps.size} chain ${chainBefore} -> ${net.get(west[0] as string).getLedger()?.chain.length}`);
