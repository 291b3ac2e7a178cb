import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { computeCanonicalChain, createDevice, PublicLedger } from '../src/index.ts';
import { Net, seededRandom } from './harness.ts';
import { decodeEvent } from '@weft/dag';

/** A history with a three-way fork, a fork inside a fork, adds, a remove and messages. */
function buildHistory(): { events: Uint8Array[]; head: string } {
  const net = new Net();
  for (const id of ['a', 'b', 'c', 'd', 'e', 'x']) net.addDevice(id);
  net.formGroup('a', ['b', 'c', 'd', 'e']);
  net.split(['a', 'b', 'x'], ['c', 'd'], ['e']);
  const kx = net.get('x').createKeyPackage();
  net.act('b', (d, now) => d.add([kx], now));
  net.act('c', (d, now) => d.update(now));
  net.act('e', (d, now) => d.remove(['d'], now));
  net.settle();
  net.act('x', (d, now) => d.send('x says hi', now));
  net.split(['a', 'b', 'x'], ['c'], ['d'], ['e']);
  net.act('c', (d, now) => d.update(now));
  net.act('d', (d, now) => d.update(now));
  net.settle();
  net.heal();
  net.settle();
  return { events: net.events, head: net.get('a').view().head as string };
}

describe('property: delivery order does not matter', () => {
  const { events, head } = buildHistory();

  it('the history has forks', () => {
    const ledger = new PublicLedger(decodeEvent(events[0] as Uint8Array).cid);
    for (const e of events) ledger.add(e);
    expect(ledger.listLosers().length).toBeGreaterThanOrEqual(2);
    expect(ledger.describe().head).toBe(head);
  });

  it('any order of the same events gives the same canonical head on the public resolver and on a device', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(events.map((_, i) => i), { minLength: events.length, maxLength: events.length }), (order) => {
        const perm = order.map((i) => events[i] as Uint8Array);
        expect(computeCanonicalChain(perm).head).toBe(head);
        const ledger = new PublicLedger(decodeEvent(events[0] as Uint8Array).cid);
        for (const e of perm) ledger.add(e);
        const brute = [...ledger.epochs].filter(([k, e]) => e.change && !ledger.isCanonical(k)).map(([k]) => k).sort();
        expect(ledger.listLosers().sort()).toEqual(brute);
        const observer = createDevice({ id: 'observer', suite: 1, random: seededRandom('observer') });
        for (const e of perm) observer.ingest(e, 0);
        expect(observer.view().head).toBe(head);
        expect(observer.listRejections()).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it('live runs with shuffled delivery converge on every device', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
        const net = new Net();
        net.order = { seed };
        for (const id of ['a', 'b', 'c', 'd']) net.addDevice(id);
        net.formGroup('a', ['b', 'c', 'd']);
        net.split(['a', 'b'], ['c', 'd']);
        net.act('b', (d, now) => d.update(now));
        net.act('c', (d, now) => d.update(now));
        net.act('d', (d, now) => d.remove(['a'], now));
        net.settle();
        net.heal();
        net.settle();
        const views = ['b', 'c', 'd'].map((id) => net.get(id).view());
        for (const v of views) {
          expect(v.head).toBe(views[0]?.head);
          expect(v.exporter).toBe(views[0]?.exporter);
          expect(v.members).toEqual(['b', 'c', 'd']);
        }
        expect(computeCanonicalChain(net.events).head).toBe(views[0]?.head);
      }),
      { numRuns: 8 },
    );
  });
});
