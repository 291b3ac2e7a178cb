import { describe, expect, it } from 'vitest';
import { getCipherSuite } from '@weft/crypto';
import { decodeEvent } from '@weft/dag';
import { PublicLedger, computeDutyOrder } from '../src/index.ts';
import { Net } from './harness.ts';

describe('rebase duty', () => {
  it('when the first duty holder is missing, the next one commits one interval later', () => {
    const net = new Net();
    const ids = ['a', 'b', 'c', 'd', 'e'];
    for (const id of ids) net.addDevice(id, { rebaseIntervalMs: 1000 });
    net.formGroup('a', ids.slice(1));
    net.split(['a', 'b', 'c'], ['d', 'e']);
    net.act('a', (d, now) => d.update(now));
    net.act('e', (d, now) => d.remove(['b'], now)); // the removal of b loses and must be rebased
    net.settle();
    // Where will the head be, and who holds duty there? Anyone can compute it from public data.
    const ledger = new PublicLedger(decodeEvent(net.events[0] as Uint8Array).cid);
    for (const e of net.events) ledger.add(e);
    const head = ledger.head;
    if (!head) throw new Error('no head');
    const exclude = new Set([head.leafOf.get('b') as number]);
    const order = computeDutyOrder(getCipherSuite(1), head, exclude).map((l) => head.identities.get(l) as string);
    const [first, second] = order;
    // The first duty holder stays cut off; everyone else syncs.
    net.split(ids.filter((x) => x !== first), [first as string]);
    net.syncPartitions();
    const start = net.now;
    net.settle(5_000, 100);
    const rebases = ids.flatMap((id) => net.get(id).listRebases().map((r) => ({ id, r })));
    expect(rebases.map((x) => x.id)).toEqual([second]);
    expect(rebases[0]?.r.removed).toEqual(['b']);
    expect(rebases[0]?.r.resolves.length).toBe(1);
    const commitEvent = net.events.find((e) => decodeEvent(e).cid.toString() === rebases[0]?.r.commit);
    expect(commitEvent).toBeDefined();
    // It waited at least one interval (position 1) after the head settled.
    expect(net.now - start).toBeGreaterThanOrEqual(1000);
    net.heal();
    net.settle();
    const views = ids.filter((x) => x !== 'b').map((id) => net.get(id).view());
    for (const v of views) {
      expect(v.members).toEqual(['a', 'c', 'd', 'e']);
      expect(v.exporter).toBe(views[0]?.exporter);
    }
  });
});

describe('late Update proposals', () => {
  it('a losing committer that was away during the rebase proposes on the new head and is refreshed by the next commit', () => {
    const net = new Net();
    const ids = ['a', 'b', 'c', 'd'];
    for (const id of ids) net.addDevice(id, { rebaseIntervalMs: 1000 });
    net.formGroup('a', ids.slice(1));
    net.split(['a', 'b'], ['c', 'd']);
    net.act('a', (d, now) => d.update(now));
    net.act('c', (d, now) => d.update(now));
    net.act('d', (d, now) => d.remove(['b'], now)); // work for a rebase besides the refreshes
    net.settle();
    // Heal for everyone but c (the losing committer): the rebase goes ahead without c's Update.
    net.split(['a', 'b', 'd'], ['c']);
    net.syncPartitions();
    net.settle();
    const ledger = net.get('a').getLedger();
    const firstRebaseHead = ledger?.head;
    expect(firstRebaseHead?.leafOf.has('b')).toBe(false);
    const cLeaf = firstRebaseHead?.leafOf.get('c') as number;
    const fork = ledger?.getEpoch(ledger.chain[2] as string);
    expect(firstRebaseHead?.lastRefresh.get(cLeaf)).toBeLessThan(fork?.height ?? 0);
    net.heal();
    net.settle();
    const head = net.get('a').getLedger()?.head;
    expect(head?.lastRefresh.get(head.leafOf.get('c') as number)).toBeGreaterThan(fork?.height ?? 0);
    const views = ['a', 'c', 'd'].map((id) => net.get(id).view());
    for (const v of views) {
      expect(v.head).toBe(views[0]?.head);
      expect(v.exporter).toBe(views[0]?.exporter);
    }
  });
});
