// Random scenarios with keyshare on (fork horizon 1 to 3, so forks leave members without the other
// branch's worlds): invariant 2 holds under the group's policy (every entitled device reads every
// message), no answer reaches a device outside the epoch's membership (judged from public data),
// and the run converges. The same scenario with keyshare off is run too: its report lists exactly
// which messages stay unreadable, for whom and why, and those are exactly the ones keyshare
// recovered (keyshare draws from streams of its own, so both runs build the same DAG).
// Seeds: fast-check's seed is printed on failure; `SIM_PROPERTY_SEED` explores others.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildReport, generateRandomScenario, mergeEngine, runScenario, serializeStableReport } from '../src/index.ts';
import type { Scenario, SimReport } from '../src/index.ts';

const RUNS = Number(process.env.SIM_KEYSHARE_RUNS ?? 30);

function pairsUnreadable(report: SimReport): Map<string, string> {
  const out = new Map<string, string>();
  for (const u of [...report.messages.lostDetails, ...report.messages.needsKeyshare]) out.set(`${u.device} ${u.label}`, u.reason);
  return out;
}

describe('random scenarios with keyshare', () => {
  it(`${RUNS} runs: entitled devices read everything, no leaks; keyshare off reports exactly what stays unreadable and why`, async () => {
    let runs = 0;
    let exercised = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 0x7fffffff }), async (seed) => {
        runs++;
        const where = `random scenario seed ${seed} (reproduce: generateRandomScenario(${seed}, { maxOps: 6, keyshare: true }))`;
        const scenario = generateRandomScenario(seed, { maxOps: 6, keyshare: true });
        const on = buildReport(await runScenario(scenario, { engine: mergeEngine }));
        const ks = on.keyshare;
        if (!ks) throw new Error(`${where}: no keyshare section`);
        if (ks.leaks !== 0) throw new Error(`${where}: leaks: ${ks.leakDetails.join('; ')}`);
        if (!on.ok) throw new Error(`${where}: ${on.failures.slice(0, 5).join('; ')}`);
        if (on.deviceErrors.length > 0) throw new Error(`${where}: engine errors: ${on.deviceErrors.slice(0, 3).join('; ')}`);

        const { keyshare: _off, ...rest } = scenario;
        const offScenario: Scenario = rest;
        const off = buildReport(await runScenario(offScenario, { engine: mergeEngine }));
        if (off.keyshare !== undefined) throw new Error(`${where}: keyshare section with keyshare off`);
        if (off.canonicalHead !== on.canonicalHead) throw new Error(`${where}: keyshare changed the DAG (heads ${off.canonicalHead} vs ${on.canonicalHead})`);
        // Keyshare off: every (device, message) a member cannot read is listed with a reason code.
        const unreadableOff = pairsUnreadable(off);
        for (const [pair, reason] of unreadableOff) if (!/^[a-z_:]+$/.test(reason)) throw new Error(`${where}: ${pair} has no reason code (${reason})`);
        // ... and it is exactly what keyshare recovered, plus what stays unreadable with keyshare on.
        const recovered = new Set(ks.recovered.map((r) => `${r.device} ${r.message}`));
        if (recovered.size > 0) exercised++;
        const stillOn = pairsUnreadable(on);
        const expected = [...new Set([...recovered, ...stillOn.keys()])].sort();
        const actual = [...unreadableOff.keys()].sort();
        if (JSON.stringify(actual) !== JSON.stringify(expected)) {
          throw new Error(`${where}: keyshare off leaves [${actual.join(', ')}] unreadable; keyshare on recovered [${[...recovered].join(', ')}] and left [${[...stillOn.keys()].join(', ')}]`);
        }
        if (runs % 10 === 0) {
          const again = buildReport(await runScenario(scenario, { engine: mergeEngine }));
          if (serializeStableReport(again) !== serializeStableReport(on)) throw new Error(`${where}: two runs with the same seed differ`);
        }
      }),
      { numRuns: RUNS, seed: Number(process.env.SIM_PROPERTY_SEED ?? 20261126), endOnFailure: true },
    );
    // The generator's extra split must really leave members without worlds in a good share of runs.
    expect(exercised).toBeGreaterThanOrEqual(Math.ceil(RUNS / 4));
  }, 600_000);
});
