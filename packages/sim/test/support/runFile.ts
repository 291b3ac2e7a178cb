// Runs a scenario file from examples/scenarios with the real engine and returns run + report.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildReport, mergeEngine, parseScenarioText, runScenario } from '../../src/index.ts';
import type { RunResult, SimReport } from '../../src/index.ts';

/** Path of a scenario file by name. */
export function scenarioPath(name: string): string {
  return fileURLToPath(new URL(`../../../../examples/scenarios/${name}.json`, import.meta.url));
}

/** Runs examples/scenarios/<name>.json (real engine) and builds its report. */
export async function runScenarioFile(name: string, seed?: number): Promise<{ run: RunResult; report: SimReport }> {
  const scenario = parseScenarioText(readFileSync(scenarioPath(name), 'utf8'));
  const run = await runScenario(scenario, { engine: mergeEngine, ...(seed !== undefined ? { seed } : {}) });
  return { run, report: buildReport(run) };
}

/** Labels of the devices that can read the message with this label. */
export function readersOf(report: SimReport, label: string): string[] {
  const m = report.messages.list.find((x) => x.label === label);
  if (!m) throw new Error(`no message labelled ${label}`);
  return [...m.readers].sort();
}
