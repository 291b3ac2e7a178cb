// Property test, second half (500 random scenarios); property-a has the other 500, so the two run in
// parallel workers. Set SIM_PROPERTY_SEED to explore other scenarios.
import { describe, it } from 'vitest';
import { checkRandomScenarios } from './support/property.ts';

describe('random scenarios (real engine), part B', () => {
  it('invariants 1, 2, 3 hold and runs are deterministic: 500 scenarios', async () => {
    await checkRandomScenarios(500, 2611);
  }, 900_000);
});
