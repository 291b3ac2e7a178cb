import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { generateDag } from '../src/index.ts';
import type { CheckedEvent, DagStore } from '../src/index.ts';
import { newStore } from './helpers.ts';

// One synthetic DAG with forks, generated once: signing is the expensive part.
const events: CheckedEvent[] = [...generateDag({ events: 60, groups: 2, forkRate: 0.5, seed: 42 })];

async function view(store: DagStore): Promise<string> {
  const out: unknown[] = [];
  for (const g of await store.listGroups()) {
    out.push({
      group: g.group.toString(),
      events: g.events,
      heads: (await store.getHeads(g.group)).map(String),
      forks: (await store.getForks(g.group)).map((f) => [f.base.toString(), f.commits.map(String)]),
      topo: (await store.getTopologicalOrder(g.group)).map(String),
    });
  }
  return JSON.stringify(out);
}

describe('convergence', () => {
  it('the generated DAG has forks in both groups', async () => {
    const store = await newStore();
    await store.addMany(events);
    const groups = await store.listGroups();
    expect(groups.map((g) => g.events).reduce((x, y) => x + y)).toBe(60);
    for (const g of groups) expect((await store.getForks(g.group)).length).toBeGreaterThan(0);
  });

  it('any permutation with duplicates yields the same heads, fork index and topological order', async () => {
    const reference = await newStore();
    await reference.addMany(events);
    const expected = await view(reference);
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(events.map((_, i) => i), { minLength: events.length, maxLength: events.length }),
        fc.array(fc.nat(events.length - 1), { maxLength: 20 }),
        fc.integer({ min: 1, max: 7 }),
        async (order, dups, chunk) => {
          const store = await newStore();
          const delivery = [...order];
          for (const [k, d] of dups.entries()) delivery.splice((k * 7) % (delivery.length + 1), 0, d);
          // Deliver in several calls, as a network would.
          for (let i = 0; i < delivery.length; i += chunk) {
            await store.addMany(delivery.slice(i, i + chunk).map((j) => events[j] as CheckedEvent));
          }
          expect(store.pending.size).toBe(0);
          expect(await view(store)).toBe(expected);
          expect(await store.checkIntegrity()).toEqual([]);
        },
      ),
      { numRuns: 40, seed: 7 },
    );
  });
});
