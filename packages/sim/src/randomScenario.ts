// Random scenarios for property tests and the soak run: up to 8 devices on up to 4 sites, random
// latency and loss, partitions, heals, offline periods and operations, some at the same instant
// (concurrent) and some after the network went quiet. Every scenario ends healed, with every
// device online and one last message, so the invariants can be judged. Operations the engine
// refuses (a non-member updating, say) are part of the test: they must change nothing.

import { createRandom } from './random.ts';
import type { SimRandom } from './random.ts';
import { parseScenario } from './scenario.ts';
import type { Scenario } from './scenario.ts';

/** Size bounds of random scenarios. */
export interface RandomScenarioOptions {
  readonly maxDevices?: number;
  readonly maxSites?: number;
  /** Operations between the initial add and the final heal. */
  readonly maxOps?: number;
  /**
   * Turns keyshare on, with a fork horizon of 1 to 3 heights and a long message horizon (so someone
   * can still answer), and adds one more split before the last message in which both sides
   * change the group and talk. Drawn from a stream of its own: every other step is the one
   * generated without this option.
   */
  readonly keyshare?: boolean;
}

/** A random scenario, fully determined by `seed` and the options. */
export function generateRandomScenario(seed: number, options: RandomScenarioOptions = {}): Scenario {
  const rng = createRandom(seed, 'scenario');
  const maxDevices = Math.max(2, options.maxDevices ?? 8);
  const maxSites = Math.max(1, options.maxSites ?? 4);
  const maxOps = Math.max(1, options.maxOps ?? 10);
  const nSites = rng.nextInt(1, maxSites);
  const nDevices = rng.nextInt(2, maxDevices);
  const sites = Array.from({ length: nSites }, (_, i) => `s${i}`);
  const ids = Array.from({ length: nDevices }, (_, i) => `d${i}`);
  const devices: Record<string, string> = {};
  for (const d of ids) devices[d] = pick(rng, sites);
  const steps: Record<string, unknown>[] = [{ at: 0, do: 'create', by: 'd0' }];
  const initial = ids.slice(1).filter(() => rng.nextFloat() < 0.7);
  if (initial.length === 0) initial.push('d1');
  steps.push({ at: 10, do: 'add', by: 'd0', members: initial });

  const members = new Set(['d0', ...initial]); // a guess of the membership, to bias choices
  const offline = new Set<string>();
  let partitioned = false;
  let texts = 0;
  const nOps = rng.nextInt(1, maxOps);
  for (let i = 0; i < nOps; i++) {
    const timing = rng.nextFloat();
    const when = timing < 0.45 ? { delay: 0 } : timing < 0.7 ? { delay: rng.nextInt(1, 150) } : {};
    const member = (): string => (rng.nextFloat() < 0.9 && members.size > 0 ? pick(rng, [...members].sort()) : pick(rng, ids));
    const roll = rng.nextFloat();
    if (roll < 0.25) steps.push({ ...when, do: 'update', by: member() });
    else if (roll < 0.45) steps.push({ ...when, do: 'send', by: member(), text: `m${++texts}` });
    else if (roll < 0.57) {
      const outsiders = ids.filter((d) => !members.has(d));
      const chosen = (outsiders.length > 0 && rng.nextFloat() < 0.8 ? outsiders : ids.slice(1)).filter(() => rng.nextFloat() < 0.5);
      if (chosen.length === 0) chosen.push(pick(rng, ids.slice(1)));
      steps.push({ ...when, do: 'add', by: member(), members: chosen });
      for (const c of chosen) members.add(c);
    } else if (roll < 0.65) {
      const by = member();
      const target = pick(rng, ids.filter((d) => d !== by));
      steps.push({ ...when, do: 'remove', by, members: [target] });
      members.delete(target);
    } else if (roll < 0.77 && nSites > 1) {
      steps.push({ ...when, do: 'partition', groups: randomGroups(rng, sites) });
      partitioned = true;
    } else if (roll < 0.85 && partitioned) {
      steps.push({ ...when, do: 'heal' });
      partitioned = false;
    } else if (roll < 0.93) {
      const d = pick(rng, ids);
      if (offline.has(d)) {
        steps.push({ ...when, do: 'online', device: d });
        offline.delete(d);
      } else {
        steps.push({ ...when, do: 'offline', device: d });
        offline.add(d);
      }
    } else steps.push({ ...when, do: 'send', by: member(), text: `m${++texts}` });
  }
  if (partitioned) steps.push({ do: 'heal' });
  for (const d of [...offline].sort()) steps.push({ do: 'online', device: d });
  // Keyshare: one more split in which both sides change the group and talk, so members end up
  // without the worlds of the other side's branch (drawn from a stream of its own).
  const ks = options.keyshare ? createRandom(seed, 'scenario-keyshare') : null;
  if (ks && nSites > 1 && members.size > 0) {
    const groups = randomGroups(ks, sites);
    steps.push({ do: 'partition', groups });
    let k = 0;
    for (const g of groups) {
      const here = [...members].sort().filter((d) => g.includes(devices[d] as string));
      if (here.length === 0) continue;
      // Two key refreshes with a message after each put the split's base past a short fork horizon.
      for (let i = 0; i < 2; i++) {
        const by = pick(ks, here);
        steps.push({ do: 'update', by }, { do: 'send', by: pick(ks, here), text: `k${++k}` });
      }
    }
    steps.push({ do: 'heal' });
  }
  steps.push({ do: 'send', by: members.size > 0 ? pick(rng, [...members].sort()) : 'd0', text: 'final' });

  const low = rng.nextInt(1, 30);
  const extra: Record<string, unknown> = {};
  if (ks) {
    extra.retention = { forkHorizon: ks.nextInt(1, 3), messageHorizon: 4096 };
    extra.keyshare = { askAfterMs: 300, baseBackoffMs: 500, maxBackoffMs: 4000, lifetimeMs: 30_000 };
  }
  return parseScenario({
    name: `random-${seed}`,
    seed,
    sites,
    devices,
    network: { latency: [low, low + rng.nextInt(0, 60)], loss: pick(rng, [0, 0, 0.05, 0.2]) },
    rebaseIntervalMs: 100,
    limits: { maxTimeMs: 3_600_000, maxSteps: 500_000 },
    steps,
    ...extra,
  });
}

function pick<T>(rng: SimRandom, list: readonly T[]): T {
  return list[rng.nextInt(0, list.length - 1)] as T;
}

/** Splits the sites into 2..n non-empty groups. */
function randomGroups(rng: SimRandom, sites: readonly string[]): string[][] {
  const k = rng.nextInt(2, sites.length);
  const groups: string[][] = Array.from({ length: k }, () => []);
  const shuffled = sites.map((s) => ({ s, r: rng.nextUint32() })).sort((a, b) => a.r - b.r).map((x) => x.s);
  shuffled.forEach((s, i) => groups[i < k ? i : rng.nextInt(0, k - 1)]!.push(s));
  return groups;
}
