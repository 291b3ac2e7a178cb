// Every scenario file of examples/scenarios runs with the real engine (@weft/merge), every invariant
// holds, and the specific outcome is the one DESIGN.md section 10 describes: who won each fork and
// why, what the rebase commits resolved, and which messages each device can read.
import { describe, expect, it } from 'vitest';
import type { SimReport } from '../src/index.ts';
import { readersOf, runScenarioFile } from './support/runFile.ts';

function expectClean(report: SimReport): void {
  expect(report.failures).toEqual([]);
  expect(report.invariants).toEqual({ convergence: true, noLostMessages: true, removeWins: true });
  expect(report.quiet).toBe(true);
  expect(report.engine).toBe('@weft/merge');
  expect(report.operations.filter((o) => o.refused !== undefined)).toEqual([]);
  expect(report.deviceErrors).toEqual([]);
  expect(report.deviceRejections).toEqual([]);
  // Sites may transiently refuse an event (see the report: a proposal whose base is not among its
  // ancestors is refused as bad_base by a site that does not hold the base yet); what they refuse
  // they fetch again later, and convergence above proves nothing stayed out.
  // every online member of the canonical head sits on it
  for (const m of report.members) expect(report.heads[m]).toBe(report.canonicalHead);
}

const ALL = ['a', 'b', 'c', 'd'];

/** The fork whose base has this label. */
function forkAt(report: SimReport, baseLabel: string): SimReport['forks'][number] {
  const f = report.forks.find((x) => x.baseLabel === baseLabel);
  if (!f) throw new Error(`no fork at ${baseLabel}; forks at ${report.forks.map((x) => x.baseLabel).join(', ')}`);
  return f;
}

/** Labels of the operation commits (not rebases) that canonical rebase commits settle (listed or below a listed one). */
function rebased(report: SimReport): string[] {
  const labels = report.rebaseCommits.filter((r) => r.canonical).flatMap((r) => r.covers);
  return [...new Set(labels.filter((l) => !l.startsWith('rebase:')))].sort();
}

describe('scenario files (real engine)', () => {
  it('1 concurrent updates: c wins on its lower leaf, d is rebased, both messages stay readable', async () => {
    const { report } = await runScenarioFile('concurrent-updates');
    expectClean(report);
    const fork = forkAt(report, 'add-bcd');
    expect(fork.children.map((c) => c.label).sort()).toEqual(['c-update', 'd-update']);
    expect(fork.winnerLabel).toBe('c-update');
    expect(fork.why).toContain('lastUpdate=1 leaf=2 beats d-update lastUpdate=1 leaf=3');
    expect(rebased(report)).toEqual(['d-update']);
    expect(report.members).toEqual(ALL);
    for (const label of ['msg-c', 'msg-d', 'msg-after']) expect(readersOf(report, label)).toEqual(ALL);
    expect(report.messages.list.find((m) => m.label === 'msg-d')!.canonical).toBe(false);
    expect(report.messages.readable).toEqual({ a: 3, b: 3, c: 3, d: 3 });
  });

  it('2 concurrent joins: (AB, C) beats (AC, B) and the group ends with all three', async () => {
    const { report } = await runScenarioFile('concurrent-joins');
    expectClean(report);
    const first = forkAt(report, 'add-e');
    expect(first.winnerLabel).toBe('london-add-AB');
    expect(first.children.map((c) => c.label).sort()).toEqual(['london-add-AB', 'ny-add-AC']);
    expect(report.members).toEqual(['A', 'B', 'C', 'a', 'e']);
    // ny's adds are resolved by a rebase commit on the canonical chain
    expect(rebased(report)).toEqual(expect.arrayContaining(['ny-add-AC', 'ny-add-B']));
    // each side's message is readable by everyone who was in that side's tree (all five)
    for (const label of ['msg-london', 'msg-ny', 'msg-after']) expect(readersOf(report, label)).toEqual(['A', 'B', 'C', 'a', 'e']);
  });

  it('3 long netsplit: the blip leaves no fork; the split forks once, london wins, one rebase carries all of ny', async () => {
    const { report } = await runScenarioFile('long-netsplit');
    expectClean(report);
    // one fork between the sides' commits (later forks, if any, are between concurrent rebase commits)
    const fork = forkAt(report, 'add-all');
    expect(fork.winnerLabel).toBe('L1-b');
    expect(fork.children.map((c) => c.label).sort()).toEqual(['L1-b', 'N1-d']);
    expect(report.forks.filter((f) => f !== fork).every((f) => f.children.every((c) => c.label.startsWith('rebase:')))).toBe(true);
    expect(rebased(report)).toEqual(['N1-d', 'N2-e', 'N3-f', 'N4-d', 'N5-e']);
    // a single rebase commit carries every intent of the losing side
    expect(report.rebaseCommits.some((r) => r.canonical && ['N1-d', 'N2-e', 'N3-f', 'N4-d', 'N5-e'].every((l) => r.covers.includes(l)))).toBe(true);
    const six = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (const m of report.messages.list) expect(m.readers).toEqual(six);
    // the blip was invisible: both blip messages are on the canonical chain
    expect(report.messages.list.filter((m) => m.label.startsWith('blip')).every((m) => m.canonical)).toBe(true);
    // ny's history reads like a side thread
    expect(report.messages.list.filter((m) => m.label.startsWith('ny-')).every((m) => !m.canonical)).toBe(true);
  });

  it('4 remove on a losing branch: b wins, the rebase still removes c, c reads nothing sent after the heal', async () => {
    const { report } = await runScenarioFile('remove-on-losing-branch');
    expectClean(report);
    expect(forkAt(report, 'add-bcd').winnerLabel).toBe('b-update');
    expect(rebased(report)).toEqual(['d-removes-c']);
    expect(report.members).toEqual(['a', 'b', 'd']);
    expect(readersOf(report, 'msg-after')).toEqual(['a', 'b', 'd']);
    expect(readersOf(report, 'msg-london')).toEqual(['a', 'b', 'd']);
    expect(readersOf(report, 'msg-c')).toEqual(ALL);
    expect(report.messages.readable.c).toBe(1);
  });

  it('5 late old commit: a beats the twelve-commit chain, which one rebase commit resolves', async () => {
    const { report } = await runScenarioFile('late-old-commit');
    expectClean(report);
    const fork = forkAt(report, 'add-bc');
    expect(fork.winnerLabel).toBe('a-late');
    expect(fork.children.map((c) => c.label).sort()).toEqual(['a-late', 'chain-1']);
    expect(rebased(report)).toEqual(Array.from({ length: 12 }, (_, i) => `chain-${i + 1}`).sort());
    expect(report.rebaseCommits.some((r) => r.canonical && r.covers.filter((l) => l.startsWith('chain-')).length === 12)).toBe(true);
    // the chain's twelve epochs became a side branch: the head is a few epochs above a-late
    expect(report.epoch).toBeLessThanOrEqual(4);
    for (const label of ['msg-chain', 'msg-chain-end', 'msg-after']) expect(readersOf(report, label)).toEqual(['a', 'b', 'c']);
    // bounded cost: the switch costs at most a few commits and well under a second of CPU per device
    expect(report.handshakeEvents).toBeLessThanOrEqual(20);
    for (const ms of Object.values(report.timing)) expect(ms).toBeLessThan(5000);
  });

  it('6 starvation: c and d race four times; least-recent updater wins, so each wins and every lost refresh is redone', async () => {
    const { report } = await runScenarioFile('starvation');
    expectClean(report);
    expect(report.forks).toHaveLength(4);
    const winners = report.forks.map((f) => f.winnerLabel);
    // race 1: same last update, c has the lower leaf; race 2: c just updated, so d (least recent) wins
    expect(winners.slice(0, 2)).toEqual(['race1-c', 'race2-d']);
    expect(report.forks[1]!.why).toMatch(/^smallest key .*: lastUpdate=1 leaf=2 beats race2-c lastUpdate=3 leaf=1$/);
    // later races go to whoever updated least recently (the rebase committer refreshes too)
    for (const f of report.forks) expect(f.why).toContain(f.children.find((c) => c.label === f.winnerLabel)!.key);
    const authors = report.forks.map((f) => f.children.find((c) => c.label === f.winnerLabel)!.author);
    expect(new Set(authors)).toEqual(new Set(['c', 'd']));
    // every losing refresh is settled by a canonical rebase commit
    const losers = report.forks.flatMap((f) => f.children.filter((c) => c.label !== f.winnerLabel).map((c) => c.label)).sort();
    expect(rebased(report)).toEqual(losers);
    expect(readersOf(report, 'msg-after')).toEqual(['a', 'c', 'd']);
  });

  it('7 three-way fork with a fork inside the ny branch: london wins, one rebase resolves ny and tokyo', async () => {
    const { report } = await runScenarioFile('three-way-fork');
    expectClean(report);
    const outer = forkAt(report, 'add-all');
    expect(outer.children.map((c) => c.label).sort()).toEqual(['london-a', 'ny-b', 'tokyo-e']);
    expect(outer.winnerLabel).toBe('london-a');
    expect(outer.canonical).toBe(true);
    const inner = forkAt(report, 'ny-b');
    expect(inner.canonical).toBe(false);
    expect(inner.children.map((c) => c.label).sort()).toEqual(['ny-inner-c', 'ny-inner-d']);
    expect(inner.winnerLabel).toBe('ny-inner-c');
    expect(rebased(report)).toEqual(['ny-b', 'ny-inner-c', 'ny-inner-d', 'tokyo-e']);
    expect(report.rebaseCommits.some((r) => r.canonical && ['ny-b', 'ny-inner-c', 'ny-inner-d', 'tokyo-e'].every((l) => r.covers.includes(l)))).toBe(true);
    const five = ['a', 'b', 'c', 'd', 'e'];
    for (const m of report.messages.list) expect(m.readers).toEqual(five);
  });

  it('9 offline past the horizon: b catches up from its own head; stranded ny members are re-added and need keyshare only', async () => {
    const { report } = await runScenarioFile('offline-past-horizon');
    expectClean(report);
    expect(forkAt(report, 'add-all').winnerLabel).toBe('L1');
    expect(rebased(report)).toEqual(['N1', 'N2', 'N3', 'N4', 'N5', 'N6']);
    expect(report.members).toEqual(['a', 'b', 'c', 'd', 'e']);
    // b was offline for ten epochs and reads everything london said
    for (const label of ['london-1', 'london-2', 'london-3', 'msg-after']) expect(readersOf(report, label)).toContain('b');
    // ny's members were stranded and re-added: they read what comes after, not london's split history
    expect(readersOf(report, 'msg-after')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(readersOf(report, 'london-3')).toEqual(['a', 'b', 'c']);
    // what they miss is counted as needing keyshare (retention), not as lost
    expect(report.messages.lost).toBe(0);
    const needs = new Set(report.messages.needsKeyshare.map((n) => `${n.device}:${n.label}`));
    for (const d of ['d', 'e']) for (const l of ['london-1', 'london-2', 'london-3']) expect(needs.has(`${d}:${l}`)).toBe(true);
  });

  it('10 many concurrent changes after a heal: repeated forks, the group converges, e is removed, h is in', async () => {
    const { report } = await runScenarioFile('many-concurrent-after-heal');
    expectClean(report);
    expect(report.forks.length).toBeGreaterThanOrEqual(2);
    expect(forkAt(report, 'add-all').winnerLabel).toBe('london-b');
    expect(rebased(report)).toEqual(expect.arrayContaining(['ny-e', 'rush-f-removes-e', 'rush-g-adds-h']));
    expect(report.members).toEqual(['a', 'b', 'c', 'd', 'f', 'g', 'h']);
    expect(readersOf(report, 'msg-after')).toEqual(['a', 'b', 'c', 'd', 'f', 'g', 'h']);
    expect(readersOf(report, 'msg-after')).not.toContain('e');
  });

  it('netsplit: three-way split with joins, updates, a removal and messages on every side', async () => {
    const { report } = await runScenarioFile('netsplit');
    expectClean(report);
    const fork = forkAt(report, 'add-founders');
    expect(fork.children.map((c) => c.label).sort()).toEqual(['london-adds-carol', 'ny-adds-frank', 'tokyo-adds-heidi-ivan']);
    expect(fork.winnerLabel).toBe('london-adds-carol');
    expect(report.members).toEqual(['alice', 'bob', 'carol', 'dave', 'frank', 'grace', 'heidi', 'ivan']);
    expect(rebased(report)).toEqual(expect.arrayContaining(['ny-adds-frank', 'tokyo-adds-heidi-ivan', 'ny-erin-update', 'tokyo-ivan-update']));
    expect(readersOf(report, 'after-1')).not.toContain('erin');
    expect(readersOf(report, 'ny-2')).toContain('erin');
    expect(readersOf(report, 'after-2')).toEqual(['alice', 'bob', 'carol', 'dave', 'frank', 'grace', 'heidi', 'ivan']);
  });
});
