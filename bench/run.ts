// Runs the benchmark sections named on the command line (default: all) and writes
// bench/results/<section>.json for each. Usage: pnpm bench [crypto] [dag] [mls] ...
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeJson } from './harness.ts';
import type { BenchRow } from './harness.ts';

type Section = () => Promise<BenchRow[]>;

// Each section is bench/<name>.ts exporting run(); a section whose file does not exist yet is
// reported as missing rather than silently passed over.
const SECTION_NAMES = ['crypto', 'dag', 'mls', 'heal', 'keyshare'];

async function loadSection(name: string): Promise<Section | null> {
  const url = new URL(`./${name}.ts`, import.meta.url);
  if (!existsSync(fileURLToPath(url))) return null;
  return ((await import(url.href)) as { run: Section }).run;
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length > 0 ? wanted : SECTION_NAMES;
for (const name of names) {
  if (!SECTION_NAMES.includes(name)) {
    console.error(`unknown bench section "${name}"; known: ${SECTION_NAMES.join(', ')}`);
    process.exit(2);
  }
  const run = await loadSection(name);
  if (!run) {
    console.log(`\n## ${name}: not written yet (bench/${name}.ts is missing)`);
    continue;
  }
  const rows = await run();
  const path = `bench/results/${name}.json`;
  writeJson(path, { section: name, node: process.version, date: new Date().toISOString(), rows });
  console.log(`\nwrote ${path}`);
}
