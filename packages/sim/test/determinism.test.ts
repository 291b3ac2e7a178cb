// Invariant 6: the same seed and scenario give byte-identical JSON (apart from `timing`).
import { describe, expect, it } from 'vitest';
import { serializeStableReport } from '../src/index.ts';
import { runScenarioFile } from './support/runFile.ts';

describe('determinism', () => {
  it('netsplit twice with one seed gives byte-identical JSON; another seed changes the run', async () => {
    const first = await runScenarioFile('netsplit', 7);
    const second = await runScenarioFile('netsplit', 7);
    expect(serializeStableReport(second.report)).toBe(serializeStableReport(first.report));
    expect(first.report.seed).toBe(7);
    const other = await runScenarioFile('netsplit', 8);
    expect(serializeStableReport(other.report)).not.toBe(serializeStableReport(first.report));
    // timing is the only field left out
    expect(Object.keys(JSON.parse(JSON.stringify(first.report)) as object)).toContain('timing');
    expect(Object.keys(JSON.parse(serializeStableReport(first.report)) as object)).not.toContain('timing');
  });
});
