import { describe, expect, it } from 'vitest';
import { cidKey, decodeEvent } from '@weft/dag';
import { Net } from './harness.ts';

/** Keys of the events reachable from `start` through parents (start included). */
function ancestors(byKey: Map<string, ReturnType<typeof decodeEvent>>, start: string): Set<string> {
  const out = new Set<string>();
  const stack = [start];
  while (stack.length > 0) {
    const k = stack.pop() as string;
    if (out.has(k)) continue;
    out.add(k);
    for (const p of byKey.get(k)?.event.parents ?? []) stack.push(cidKey(p));
  }
  return out;
}

describe('parents of new events', () => {
  it('every event a device makes has its base among its ancestors, even when the highest head is on a losing branch', () => {
    const net = new Net();
    for (const id of ['a', 'b', 'c', 'd']) net.addDevice(id, { rebaseIntervalMs: 100 });
    net.formGroup('a', ['b', 'c', 'd']);
    net.split(['a', 'c'], ['b', 'd']);
    // a (leaf 0, same lastUpdate as b) wins the fork with one commit; b's side climbs higher.
    net.act('a', (d, now) => d.update(now));
    for (let i = 0; i < 3; i++) {
      net.act('b', (d, now) => d.update(now));
      net.act('d', (d, now) => d.send(`d${i}`, now));
      net.settle();
    }
    net.settle();
    net.heal();
    net.settle();
    const byKey = new Map(net.events.map((e) => {
      const c = decodeEvent(e);
      return [cidKey(c.cid), c] as const;
    }));
    const after = [...byKey.values()].filter((c) => c.event.kind === 'proposal');
    expect(after.length).toBeGreaterThan(0);
    for (const c of byKey.values()) {
      const base = c.event.base;
      if (!base) continue;
      const reach = new Set<string>();
      for (const p of c.event.parents) for (const k of ancestors(byKey, cidKey(p))) reach.add(k);
      expect(reach.has(cidKey(base)), `${c.event.kind} ${c.cid.toString()} has its base among its ancestors`).toBe(true);
    }
    const heads = [...net.devices.values()].map((d) => d.view().head);
    expect(new Set(heads).size).toBe(1);
  });
});
