// Runs the benchmark sections named on the command line (default: all) and writes
// bench/results/<section>.json for each. Usage: pnpm bench [crypto] [dag] [mls] ...
import { writeJson } from './harness.ts';
import type { BenchRow } from './harness.ts';

type Section = () => Promise<BenchRow[]>;

const sections: Record<string, () => Promise<Section>> = {
  crypto: async () => (await import('./crypto.ts')).run,
  dag: async () => (await import('./dag.ts')).run,
  mls: async () => (await import('./mls.ts')).run,
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length > 0 ? wanted : Object.keys(sections);
for (const name of names) {
  const load = sections[name];
  if (!load) {
    console.error(`unknown bench section "${name}"; known: ${Object.keys(sections).join(', ')}`);
    process.exit(2);
  }
  const rows = await (await load())();
  const path = `bench/results/${name}.json`;
  writeJson(path, { section: name, node: process.version, date: new Date().toISOString(), rows });
  console.log(`\nwrote ${path}`);
}
