// Exercises the simulator machinery (network, sites, sync, report) with the throwaway model engine.
// The scenario tests in scenarios.test.ts run the real engine.
import { describe, expect, it } from 'vitest';
import { buildReport, parseScenario, runScenario, serializeStableReport } from '../src/index.ts';
import { createModelDevice, resolveModel } from './support/modelEngine.ts';

const engine = { name: 'model (test double)', createDevice: createModelDevice, resolve: resolveModel };

const split = parseScenario({
  name: 'split',
  sites: ['london', 'ny'],
  devices: { a: 'london', b: 'london', c: 'ny', d: 'ny' },
  network: { latency: [5, 20], loss: 0.2 },
  steps: [
    { at: 0, do: 'create', by: 'a' },
    { at: 10, do: 'add', by: 'a', members: ['b', 'c', 'd'] },
    { do: 'partition', groups: [['london'], ['ny']] },
    { do: 'update', by: 'c', id: 'c-update' },
    { do: 'send', by: 'c', text: 'from ny', id: 'ny-msg' },
    { do: 'remove', by: 'a', members: ['d'], id: 'a-removes-d' },
    { do: 'send', by: 'b', text: 'from london', id: 'london-msg' },
    { do: 'heal' },
    { do: 'send', by: 'c', text: 'after', id: 'after' },
  ],
});

describe('simulator machinery (model engine double)', () => {
  it('replicates through loss and partitions and reports', async () => {
    const run = await runScenario(split, { engine, seed: 7 });
    const report = buildReport(run);
    expect(report.quiet).toBe(true);
    expect(new Set(run.sites.map((s) => s.heads.join()))).toHaveProperty('size', 1);
  });
  it('loses nothing under heavy loss: every replica ends with the same DAG and the run goes quiet', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const lossy = parseScenario({ ...JSON.parse(JSON.stringify(split)), network: { latency: [5, 30], loss: 0.5 } });
      const run = await runScenario(lossy, { engine, seed });
      expect(run.quiet).toBe(true);
      expect(run.network.lost).toBeGreaterThan(0);
      expect(new Set(run.sites.map((s) => s.heads.join()))).toHaveProperty('size', 1);
      expect(new Set(run.sites.map((s) => s.events))).toHaveProperty('size', 1);
      expect(buildReport(run).invariants.convergence).toBe(true);
    }
  });
  it('is deterministic', async () => {
    const a = serializeStableReport(buildReport(await runScenario(split, { engine, seed: 3 })));
    const b = serializeStableReport(buildReport(await runScenario(split, { engine, seed: 3 })));
    expect(a).toBe(b);
  });
});
