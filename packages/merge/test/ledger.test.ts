import { describe, expect, it } from 'vitest';
import { decodeEvent, cidKey, createSuiteResolver, openMemoryStore } from '@weft/dag';
import { PublicLedger, computeCanonicalChainFromStore } from '../src/index.ts';
import { Net, healWithUpdateProposals } from './harness.ts';

describe('public ledger', () => {
  it('a commit that references an Update proposal not yet received waits for it (no divergence by arrival order)', () => {
    const net = healWithUpdateProposals();
    const ref = net.get('a').getLedger();
    const withRefs = [...(ref?.epochs.values() ?? [])].find((e) => (e.change?.updates.length ?? 0) > 0);
    expect(withRefs).toBeDefined();
    const proposal = net.events.find((e) => decodeEvent(e).event.kind === 'proposal') as Uint8Array;
    const rest = net.events.filter((e) => e !== proposal);
    const ledger = new PublicLedger(decodeEvent(net.events[0] as Uint8Array).cid);
    for (const e of rest) ledger.add(e);
    expect(ledger.getEpoch(withRefs?.key as string)).toBeUndefined();
    expect(ledger.pending.size).toBeGreaterThan(0);
    const report = ledger.add(proposal);
    expect(report.accepted.map((x) => x.key)).toContain(withRefs?.key);
    expect(ledger.describe().head).toBe(ref?.describe().head);
    expect(cidKey(decodeEvent(proposal).cid)).toBe(report.accepted[0]?.key);
  });

  it('a site computes the same canonical head from its DagStore, without any secret', async () => {
    const net = new Net();
    for (const id of ['a', 'b', 'c']) net.addDevice(id);
    net.formGroup('a', ['b', 'c']);
    net.split(['a'], ['b', 'c']);
    net.act('a', (d, now) => d.update(now));
    net.act('c', (d, now) => d.update(now));
    net.act('b', (d, now) => d.send('hi', now));
    net.settle();
    net.heal();
    net.settle();
    const store = await openMemoryStore({ resolveSuite: createSuiteResolver('node') });
    const results = await store.addMany([...net.events].reverse().map((bytes) => ({ bytes })));
    expect(results.every((r) => r.status === 'accepted' || r.status === 'pending')).toBe(true);
    const group = decodeEvent(net.events[0] as Uint8Array).cid;
    const chain = await computeCanonicalChainFromStore(store, group);
    expect(chain.head).toBe(net.get('b').view().head);
    expect(chain.members).toEqual(['a', 'b', 'c']);
    await store.close();
  });
});
