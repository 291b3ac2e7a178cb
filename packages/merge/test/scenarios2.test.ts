import { describe, expect, it } from 'vitest';
import { computeCanonicalChain } from '../src/index.ts';
import { decodeEvent } from '@weft/dag';
import { Net } from './harness.ts';

function expectConverged(net: Net, ids?: string[]): void {
  const list = (ids ?? [...net.devices.keys()]).map((id) => net.get(id).view());
  const first = list[0];
  for (const v of list) {
    expect(v.head, `${v.id} head`).toBe(first?.head);
    expect(v.members, `${v.id} members`).toEqual(first?.members);
    expect(v.treeHash, `${v.id} tree hash`).toBe(first?.treeHash);
    expect(v.exporter, `${v.id} exporter`).toBe(first?.exporter);
    expect(v.exporter, `${v.id} has the head world`).not.toBeNull();
  }
  expect(computeCanonicalChain(net.events).head).toBe(first?.head);
}

/** Commits on the canonical chain after `fromIndex`. */
function commitsAfter(net: Net, id: string, fromIndex: number): number {
  return (net.get(id).getLedger()?.chain.length ?? 0) - 1 - fromIndex;
}

describe('scenario 3: long netsplit', () => {
  it('two sides run many epochs apart with messages; after the heal all converge, every message stays readable, heal costs at most 2 commits', () => {
    const net = new Net();
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (const id of ids) net.addDevice(id);
    net.formGroup('a', ids.slice(1));
    net.split(['a', 'b', 'c'], ['d', 'e', 'f']);
    for (let round = 0; round < 5; round++) {
      net.act(['a', 'b', 'c'][round % 3] as string, (d, now) => d.update(now));
      net.act(['d', 'e', 'f'][round % 3] as string, (d, now) => d.update(now));
      net.flush();
      net.act('b', (d, now) => d.send(`west ${round}`, now));
      net.act('e', (d, now) => d.send(`east ${round}`, now));
      net.settle();
    }
    const forkIndex = 2; // genesis, add commit, then the fork
    const before = net.get('a').getLedger()?.chain.length ?? 0;
    net.heal();
    net.settle();
    expectConverged(net);
    const after = net.get('a').getLedger()?.chain.length ?? 0;
    expect(after - (forkIndex + 5)).toBeLessThanOrEqual(2);
    expect(before).toBe(forkIndex + 5);
    for (const id of ids) {
      const t = net.get(id).view().messages.map((m) => m.text);
      for (let r = 0; r < 5; r++) {
        expect(t, id).toContain(`west ${r}`);
        expect(t, id).toContain(`east ${r}`);
      }
    }
  });
});

describe('scenario 3b: a short outage is invisible', () => {
  it('messages sent on both sides of a blip without commits cause no fork and no rebase', () => {
    const net = new Net();
    for (const id of ['a', 'b', 'c']) net.addDevice(id);
    net.formGroup('a', ['b', 'c']);
    const head = net.get('a').view().head;
    net.split(['a'], ['b', 'c']);
    net.act('a', (d, now) => d.send('from a during the blip', now));
    net.act('c', (d, now) => d.send('from c during the blip', now));
    net.settle();
    net.heal();
    net.settle();
    expectConverged(net);
    expect(net.get('b').view().head).toBe(head);
    expect(net.get('a').getLedger()?.listLosers()).toEqual([]);
    for (const id of ['a', 'b', 'c']) expect(net.get(id).listRebases()).toEqual([]);
    expect(net.get('b').view().messages.map((m) => m.text).sort()).toEqual(['from a during the blip', 'from c during the blip']);
  });
});

describe('scenario 5: a very old commit arrives late and beats a long chain', () => {
  it('the chain switches at the fork; the long branch is rebased in a bounded number of commits', () => {
    const net = new Net();
    const ids = ['a', 'b', 'c', 'd'];
    for (const id of ids) net.addDevice(id);
    net.formGroup('a', ['b', 'c', 'd']);
    net.split(['a'], ['b', 'c', 'd']);
    net.act('a', (d, now) => d.update(now)); // a: leaf 0, ties on lastUpdate, wins at the fork
    for (let i = 0; i < 10; i++) {
      net.act(['b', 'c', 'd'][i % 3] as string, (d, now) => d.update(now));
      net.settle();
    }
    net.act('c', (d, now) => d.send('long branch message', now));
    net.settle();
    expect(net.get('b').view().epoch).toBe(11);
    net.heal();
    net.settle();
    expectConverged(net);
    const ledger = net.get('b').getLedger();
    expect(ledger?.getEpoch(ledger.chain[2] as string)?.change?.committerIdentity).toBe('a');
    expect(commitsAfter(net, 'b', 2)).toBeLessThanOrEqual(2);
    // b, c, d lost their refreshes and redid them together in one commit.
    const head = ledger?.head;
    for (const id of ['b', 'c', 'd']) expect(head?.lastRefresh.get(head.leafOf.get(id) as number)).toBeGreaterThan(ledger?.getEpoch(ledger.chain[2] as string)?.height ?? 0);
    for (const id of ids) expect(net.get(id).view().messages.map((m) => m.text)).toContain('long branch message');
  });
});

describe('scenario 6: starvation', () => {
  it('two members race repeatedly; both win races (least-recent updater wins)', () => {
    const net = new Net();
    const ids = ['a', 'b', 'c', 'd'];
    for (const id of ids) net.addDevice(id);
    net.formGroup('a', ['b', 'c', 'd']);
    const wins = new Map<string, number>([['a', 0], ['b', 0]]);
    for (let round = 0; round < 6; round++) {
      const ledger = net.get('c').getLedger();
      const forkAt = ledger?.chain.length ?? 0;
      net.split(['a', 'c'], ['b', 'd']);
      net.act('a', (d, now) => d.update(now));
      net.act('b', (d, now) => d.update(now));
      net.flush();
      net.heal();
      net.settle();
      expectConverged(net);
      const winner = ledger?.getEpoch(ledger.chain[forkAt] as string)?.change?.committerIdentity as string;
      wins.set(winner, (wins.get(winner) ?? 0) + 1);
    }
    expect(wins.get('a')).toBeGreaterThanOrEqual(2);
    expect(wins.get('b')).toBeGreaterThanOrEqual(2);
  });
});

describe('scenario 7: three-way forks and forks inside forks', () => {
  it('three partitions each commit; one side forks again inside; all converge with every intent applied', () => {
    const net = new Net();
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (const id of ids) net.addDevice(id);
    net.addDevice('x');
    net.addDevice('y');
    net.formGroup('a', ['b', 'c', 'd', 'e', 'f']);
    net.split(['a', 'b', 'x'], ['c', 'd'], ['e', 'f', 'y']);
    const kx = net.get('x').createKeyPackage();
    net.act('b', (d, now) => d.add([kx], now));
    net.act('c', (d, now) => d.update(now));
    net.act('e', (d, now) => d.remove(['f'], now));
    net.settle();
    // inside the third partition: a fork of its own
    net.split(['a', 'b', 'x'], ['c', 'd'], ['e'], ['y']);
    const ky = net.get('y').createKeyPackage();
    net.act('e', (d, now) => d.add([ky], now));
    net.act('d', (d, now) => d.update(now));
    net.act('c', (d, now) => d.update(now));
    net.settle();
    net.heal();
    net.settle();
    const members = ['a', 'b', 'c', 'd', 'e', 'x', 'y'];
    expectConverged(net, members);
    expect(net.get('a').view().members).toEqual(members);
    expect(net.get('f').view().exporter).toBeNull();
  });
});

describe('scenario 9: a device returns after being offline longer than the retention horizon', () => {
  it('its fork state was evicted: it is stranded, asks to be re-added, and converges', () => {
    const net = new Net();
    const ids = ['a', 'b', 'c', 'd'];
    const retention = { forkHorizon: 3, messageHorizon: 100 };
    for (const id of ids) net.addDevice(id, { retention });
    net.formGroup('a', ['b', 'c', 'd']);
    net.split(['a', 'b', 'c'], ['d']);
    for (let i = 0; i < 5; i++) {
      net.act('d', (d, now) => d.update(now)); // d runs alone past its fork horizon
      net.act(['a', 'b', 'c'][i % 3] as string, (d, now) => d.update(now));
      net.settle();
    }
    net.act('b', (d, now) => d.send('while d was away', now));
    net.settle();
    net.heal();
    net.settle();
    expectConverged(net);
    expect(net.get('d').view().members).toEqual(ids);
    // d was stranded (its fork epoch state was evicted) and asked to be re-added.
    const rejoins = net.events.map((e) => decodeEvent(e).event).filter((e) => e.kind === 'proposal' && e.author.leaf === undefined);
    expect(rejoins.length).toBeGreaterThanOrEqual(1);
    const rebases = ids.flatMap((id) => net.get(id).listRebases());
    expect(rebases.some((r) => r.added.includes('d'))).toBe(true);
    net.act('d', (d, now) => d.send('d is back', now));
    net.settle();
    for (const id of ['a', 'b', 'c']) expect(net.get(id).view().messages.map((m) => m.text)).toContain('d is back');
  });
});

describe('scenario 10: many concurrent changes after a heal', () => {
  it('rebase commits race with user commits; the group still converges', () => {
    const net = new Net();
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (const id of ids) net.addDevice(id, { rebaseIntervalMs: 200 });
    net.formGroup('a', ids.slice(1));
    net.split(['a', 'b'], ['c', 'd'], ['e', 'f']);
    net.act('b', (d, now) => d.update(now));
    net.act('d', (d, now) => d.update(now));
    net.act('f', (d, now) => d.remove(['a'], now));
    net.settle();
    net.heal();
    // Everyone commits at once while the heal is being delivered.
    for (const id of ['b', 'c', 'e']) net.act(id, (d, now) => d.update(now));
    net.settle();
    expectConverged(net, ['b', 'c', 'd', 'e', 'f']);
    expect(net.get('b').view().members).toEqual(['b', 'c', 'd', 'e', 'f']);
  });
});
