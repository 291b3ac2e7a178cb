// Bad scenario input gets a typed ScenarioError that names the problem and where it is.
import { describe, expect, it } from 'vitest';
import { parseScenario, parseScenarioText, ScenarioError } from '../src/index.ts';
import type { ScenarioErrorCode } from '../src/index.ts';

const base = {
  name: 'x',
  sites: ['london', 'ny'],
  devices: { a: 'london', b: 'ny' },
  network: { latency: [5, 10], loss: 0 },
  steps: [
    { at: 0, do: 'create', by: 'a' },
    { at: 10, do: 'add', by: 'a', members: ['b'] },
  ],
};

function failure(raw: unknown): ScenarioError {
  try {
    parseScenario(raw);
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('expected a ScenarioError');
}

function withStep(step: Record<string, unknown>): unknown {
  return { ...base, steps: [...base.steps, step] };
}

describe('scenario parsing', () => {
  it('accepts the documented shape and fills defaults', () => {
    const s = parseScenario(base);
    expect(s.suite).toBe(1);
    expect(s.seed).toBe(1);
    expect(s.network.deviceLatency).toEqual([1, 3]);
    expect(s.network.syncIntervalMs).toBe(50);
    expect(s.steps).toHaveLength(2);
  });

  const cases: [string, unknown, ScenarioErrorCode, string, RegExp][] = [
    ['unknown step kind', withStep({ do: 'explode', by: 'a' }), 'unknown_step', 'steps[2].do', /unknown step kind "explode"/],
    ['unknown device', withStep({ do: 'update', by: 'z' }), 'unknown_device', 'steps[2].by', /unknown device "z"/],
    ['unknown member', withStep({ do: 'remove', by: 'a', members: ['q'] }), 'unknown_device', 'steps[2].members[0]', /unknown device "q"/],
    ['unknown site of a device', { ...base, devices: { a: 'paris' } }, 'unknown_site', 'devices.a', /unknown site "paris"/],
    ['unknown site in a partition', withStep({ do: 'partition', groups: [['london'], ['tokyo']] }), 'unknown_site', 'steps[2].groups[1][0]', /unknown site "tokyo"/],
    ['time going backwards', withStep({ at: 5, do: 'update', by: 'b' }), 'bad_time', 'steps[2].at', /before an earlier step/],
    ['negative time', withStep({ at: -1, do: 'update', by: 'b' }), 'bad_time', 'steps[2].at', /whole number/],
    ['at and delay together', withStep({ at: 20, delay: 5, do: 'heal' }), 'bad_time', 'steps[2]', /not both/],
    ['no create', { ...base, steps: [{ do: 'update', by: 'a' }] }, 'bad_order', 'steps', /exactly one "create"/],
    ['loss out of range', { ...base, network: { latency: [1, 2], loss: 1.5 } }, 'bad_field', 'network.loss', /probability/],
    ['latency max below min', { ...base, network: { latency: [9, 2] } }, 'bad_field', 'network.latency', /below min/],
    ['unknown field', { ...base, colour: 'red' }, 'bad_field', 'colour', /unknown field/],
    ['missing text', withStep({ do: 'send', by: 'a' }), 'bad_field', 'steps[2].text', /expected a string/],
  ];
  for (const [what, raw, code, path, message] of cases) {
    it(`rejects ${what}`, () => {
      const e = failure(raw);
      expect(e.code).toBe(code);
      expect(e.path).toBe(path);
      expect(e.message).toMatch(message);
    });
  }

  it('reports invalid JSON as bad_json', () => {
    expect(() => parseScenarioText('{"name": ')).toThrow(ScenarioError);
    try {
      parseScenarioText('{');
    } catch (e) {
      expect((e as ScenarioError).code).toBe('bad_json');
    }
  });
});
