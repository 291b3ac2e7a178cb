// Shared body of the property tests: random scenarios (up to 8 devices on 4 sites) run with the
// real engine; invariants 1 (convergence), 2 (no lost message) and 3 (remove wins) must hold, and
// for a share of runs a second run with the same seed must give byte-identical JSON (invariant 6).
import fc from 'fast-check';
import { buildReport, generateRandomScenario, mergeEngine, runScenario, serializeStableReport } from '../../src/index.ts';

/** Runs `numRuns` random scenarios; scenario seeds come from fast-check (seeded by `fcSeed`). */
export async function checkRandomScenarios(numRuns: number, fcSeed: number, determinismEvery = 10): Promise<void> {
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 0x7fffffff }), async (seed) => {
      runs += 1;
      const scenario = generateRandomScenario(seed, { maxOps: 6 });
      const report = buildReport(await runScenario(scenario, { engine: mergeEngine }));
      const where = `random scenario seed ${seed} (reproduce: generateRandomScenario(${seed}, { maxOps: 6 }))`;
      if (!report.ok) throw new Error(`${where}: ${report.failures.slice(0, 5).join('; ')}`);
      if (report.deviceErrors.length > 0) throw new Error(`${where}: engine errors: ${report.deviceErrors.slice(0, 3).join('; ')}`);
      if (runs % determinismEvery === 0) {
        const again = buildReport(await runScenario(scenario, { engine: mergeEngine }));
        if (serializeStableReport(again) !== serializeStableReport(report)) throw new Error(`${where}: two runs with the same seed differ`);
      }
    }),
    { numRuns, seed: Number(process.env.SIM_PROPERTY_SEED ?? fcSeed), endOnFailure: true },
  );
}
