import { generateDag, openLevelStore, createSuiteResolver } from '@weft/dag';
const N = 100000;
const blocks: Uint8Array[] = [];
for (const e of generateDag({ events: N, groups: 10, forkRate: 0.05, seed: 3 })) blocks.push(e.bytes);
(globalThis as any).gc(); console.log('after gen heap MB', (process.memoryUsage().heapUsed / 2 ** 20).toFixed(0), 'rss', (process.memoryUsage().rss / 2 ** 20).toFixed(0));
const store = await openLevelStore('/tmp/dagx/mem' + Date.now(), { resolveSuite: createSuiteResolver() });
const c = process.cpuUsage(); const t = performance.now();
let sliceT = t, sliceC = process.cpuUsage();
for (let i = 0; i < N; i += 500) {
  await store.addMany(blocks.slice(i, i + 500).map((bytes) => ({ bytes })));
  if ((i + 500) % 10000 === 0) {
    const cu = process.cpuUsage(sliceC); const now = performance.now();
    console.log(i + 500, 'wall us/ev', ((now - sliceT) * 100 / 1000 * 1000 / 100).toFixed(0), 'cpu us/ev', ((cu.user + cu.system) / 10000).toFixed(0), 'heap', (process.memoryUsage().heapUsed / 2 ** 20).toFixed(0), 'rss', (process.memoryUsage().rss / 2 ** 20).toFixed(0));
    sliceT = now; sliceC = process.cpuUsage();
  }
}
(globalThis as any).gc(); console.log('after ingest heap MB', (process.memoryUsage().heapUsed / 2 ** 20).toFixed(0), 'rss', (process.memoryUsage().rss / 2 ** 20).toFixed(0));
