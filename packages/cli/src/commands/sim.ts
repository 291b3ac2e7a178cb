// `weft sim SCENARIO.json [--seed N] [--json] [--dag-svg FILE] [--trace]`: runs a scenario in the
// deterministic simulator with the real engine and prints its report. Exit status: 0 when every
// invariant held, 1 when one did not, 2 for bad input (usage, unreadable or invalid scenario).

import { readFileSync, writeFileSync } from 'node:fs';
import { buildReport, drawDagSvg, formatReport, mergeEngine, parseScenarioText, runScenario, ScenarioError } from '@weft/sim';

const usage = `usage: weft sim SCENARIO.json [--seed N] [--json] [--dag-svg FILE] [--trace]
  --seed N        seed of the run (default: the scenario's "seed", else 1)
  --json          print one JSON object instead of the text report
  --dag-svg FILE  draw the DAG (forks, winners, losers, rebases, messages per branch) to FILE
  --trace         print every step and engine refusal to stderr while running
exit status: 0 every invariant held, 1 an invariant failed, 2 bad input`;

class UsageError extends Error {}

interface SimArgs {
  file: string;
  seed?: number;
  json: boolean;
  svg?: string;
  trace: boolean;
}

function parseArgs(args: readonly string[]): SimArgs {
  const positional: string[] = [];
  const out: Omit<SimArgs, 'file'> = { json: false, trace: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const [name, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    if (name === '--json') out.json = true;
    else if (name === '--trace') out.trace = true;
    else if (name === '--seed') {
      const raw = value();
      const n = Number(raw);
      if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--seed must be a whole number >= 0, not "${raw}"`);
      out.seed = n;
    } else if (name === '--dag-svg') out.svg = value();
    else if (name === '--help' || name === '-h') throw new UsageError('');
    else if (name.startsWith('--')) throw new UsageError(`unknown option "${a}"`);
    else positional.push(a);
  }
  if (positional.length !== 1) throw new UsageError('expected exactly one scenario file');
  return { file: positional[0] as string, ...out };
}

/** Runs `weft sim ...`; returns the exit status. */
export async function runSimCommand(args: string[]): Promise<number> {
  let parsed: SimArgs;
  try {
    parsed = parseArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    if (e.message) process.stderr.write(`weft sim: ${e.message}\n`);
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(parsed.file, 'utf8');
  } catch (e) {
    process.stderr.write(`weft sim: cannot read ${parsed.file}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  let scenario;
  try {
    scenario = parseScenarioText(text);
  } catch (e) {
    if (e instanceof ScenarioError) {
      process.stderr.write(`weft sim: ${parsed.file}: ${e.message} [${e.code}]\n`);
      return 2;
    }
    throw e;
  }
  const run = await runScenario(scenario, {
    engine: mergeEngine,
    ...(parsed.seed !== undefined ? { seed: parsed.seed } : {}),
    ...(parsed.trace ? { trace: (line: string) => void process.stderr.write(`${line}\n`) } : {}),
  });
  const report = buildReport(run);
  if (parsed.svg) writeFileSync(parsed.svg, drawDagSvg(run, report));
  process.stdout.write(parsed.json ? `${JSON.stringify(report)}\n` : formatReport(report));
  return report.ok ? 0 : 1;
}
