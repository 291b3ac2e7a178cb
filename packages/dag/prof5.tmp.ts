import { openLevelStore, createSuiteResolver, createWorkerVerifier } from '@weft/dag';
import { readFileSync } from 'node:fs';
const evs = (JSON.parse(readFileSync('/tmp/dagx/evs.json', 'utf8')) as string[]).map((b) => ({ bytes: new Uint8Array(Buffer.from(b, 'base64')) }));
const verifier = createWorkerVerifier({ threads: 2 });
const store = await openLevelStore('/tmp/dagx/lvl' + Date.now(), { resolveSuite: createSuiteResolver(), verifier });
await store.addMany(evs.slice(0, 300)); // warm up workers
const c = process.cpuUsage(); const t = performance.now();
await store.addMany(evs.slice(300));
const cu = process.cpuUsage(c);
console.log('wall us/ev', ((performance.now() - t) * 1000 / evs.length).toFixed(1), 'cpu us/ev', ((cu.user + cu.system) / evs.length).toFixed(1));
await verifier.close();
