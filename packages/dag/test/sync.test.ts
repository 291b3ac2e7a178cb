import { describe, expect, it } from 'vitest';
import { cidKey, DagSync, generateDag } from '../src/index.ts';
import type { CheckedEvent, DagStore, SyncMessage, SyncOutcome } from '../src/index.ts';
import { child, codeOf, makeSigner, newStore, snapshot } from './helpers.ts';

const dag: CheckedEvent[] = [...generateDag({ events: 400, groups: 1, forkRate: 0.3, seed: 9 })];
const group = dag[0]!.cid;

/** Events built on `tip` by another device: a chain of `n` messages (a branch the DAG's owner never saw). */
function branch(tip: CheckedEvent, n: number): CheckedEvent[] {
  const signer = makeSigner(77);
  const out: CheckedEvent[] = [];
  let prev = tip.cid;
  for (let i = 0; i < n; i++) {
    const e = child(signer, [prev], group, i % 10 === 0 ? 'commit' : 'message', `b${i}`);
    out.push(e);
    prev = e.cid;
  }
  return out;
}

/** Delivers messages between two named replicas until none are left; returns every outcome and the largest answer. */
async function run(peers: Record<string, DagSync>, queue: { to: string; from: string; msg: SyncMessage }[]): Promise<{ outcomes: SyncOutcome[]; maxAnswer: number; messages: number }> {
  const outcomes: SyncOutcome[] = [];
  let maxAnswer = 0;
  let messages = 0;
  while (queue.length > 0) {
    const { to, from, msg } = queue.shift()!;
    messages++;
    if (messages > 10_000) throw new Error('sync did not settle');
    if (msg.type === 'events') maxAnswer = Math.max(maxAnswer, msg.events.length);
    const out = await peers[to]!.handle(from, msg);
    outcomes.push(out);
    for (const r of out.replies) queue.push({ to: from, from: to, msg: r });
  }
  return { outcomes, maxAnswer, messages };
}

async function topo(store: DagStore): Promise<string[]> {
  return (await store.getTopologicalOrder(group)).map(String);
}

describe('sync', () => {
  it('two diverged replicas converge by exchanging heads, in answers of at most 50 events', async () => {
    const a = await newStore();
    const b = await newStore();
    const sa = dag.slice(0, 300);
    const sb = [...dag.slice(0, 150), ...branch(dag[149]!, 120)];
    await a.addMany(sa);
    await b.addMany(sb);
    const union = new Set([...sa, ...sb].map((e) => e.cid.toString()));
    expect(union.size).toBeGreaterThan(Math.max(sa.length, sb.length));
    const peers = { a: new DagSync(a), b: new DagSync(b) };
    const { maxAnswer } = await run(peers, [{ to: 'b', from: 'a', msg: await peers.a.makeHeads(group) }]);
    expect(maxAnswer).toBeGreaterThan(0);
    expect(maxAnswer).toBeLessThanOrEqual(50);
    expect(await topo(a)).toEqual(await topo(b));
    expect((await topo(a)).length).toBe(union.size);
    expect((await a.getHeads(group)).map(String)).toEqual((await b.getHeads(group)).map(String));
    expect(await a.checkIntegrity()).toEqual([]);
  });

  it('converges when each fetch serves only part of the difference', async () => {
    const a = await newStore();
    const b = await newStore();
    await a.addMany(dag.slice(0, 20));
    await b.addMany(dag);
    const peers = { a: new DagSync(a), b: new DagSync(b, { maxPerFetch: 60 }) };
    const { maxAnswer } = await run(peers, [{ to: 'b', from: 'a', msg: await peers.a.makeHeads(group) }]);
    expect(maxAnswer).toBeLessThanOrEqual(50);
    expect(await topo(a)).toEqual(await topo(b));
  });

  it('answers a fetch deterministically and lowest first', async () => {
    const b = await newStore();
    await b.addMany(dag);
    const sb = new DagSync(b);
    const fetch: SyncMessage = { type: 'fetch', group, want: await b.getHeads(group), have: [] };
    const one = await sb.handle('x', fetch);
    const two = await new DagSync(b).handle('y', fetch);
    const ids = (o: SyncOutcome): string[] => o.replies.flatMap((r) => (r.type === 'events' ? r.events.map((e) => e.cid.toString()) : []));
    expect(ids(one)).toEqual(ids(two));
    expect(ids(one)).toEqual((await b.getTopologicalOrder(group)).slice(0, 50).map(String));
    const reply = one.replies[0];
    expect(reply?.type === 'events' && reply.more).toBeTruthy();
  });

  it('fills the gap behind a pushed event whose parents are unknown', async () => {
    const a = await newStore();
    const b = await newStore();
    await a.addMany(dag.slice(0, 150));
    await b.addMany(dag);
    const peers = { a: new DagSync(a), b: new DagSync(b) };
    const last = dag[dag.length - 1]!;
    const push = await peers.b.makePush(last.cid);
    const { outcomes } = await run(peers, [{ to: 'a', from: 'b', msg: push! }]);
    expect(outcomes[0]?.results.map((r) => r.status)).toEqual(['pending']);
    expect(outcomes.every((o) => o.abandoned === undefined)).toBe(true);
    expect(a.pending.size).toBe(0);
    expect(await topo(a)).toEqual(await topo(b));
  });

  it('stops a gap walk at its bounds, holding no more than it allowed', async () => {
    const a = await newStore();
    const b = await newStore();
    await a.addMany(dag.slice(0, 1));
    await b.addMany(dag);
    const peers = { a: new DagSync(a, { maxGapEvents: 100, maxGapRounds: 50 }), b: new DagSync(b) };
    const push = await peers.b.makePush(dag[dag.length - 1]!.cid);
    const { outcomes } = await run(peers, [{ to: 'a', from: 'b', msg: push! }]);
    const abandoned = outcomes.map((o) => o.abandoned).filter(Boolean);
    expect(abandoned).toHaveLength(1);
    expect(abandoned[0]).toMatch(/stopped after/);
    expect((await a.getGroup(group))!.events).toBeLessThanOrEqual(1 + 100);
    expect(await a.checkIntegrity()).toEqual([]);
    // The depth bound alone also stops it.
    const c = await newStore();
    await c.addMany(dag.slice(0, 1));
    const p2 = { c: new DagSync(c, { maxGapRounds: 2 }), b: new DagSync(b) };
    const r2 = await run(p2, [{ to: 'c', from: 'b', msg: push! }]);
    expect(r2.outcomes.filter((o) => o.abandoned).length).toBe(1);
    expect((await c.getGroup(group))!.events).toBeLessThanOrEqual(1 + 2 * 50);
  });

  it('ignores answers nobody asked for and stops when a peer makes no progress', async () => {
    const a = await newStore();
    await a.addMany(dag.slice(0, 10));
    const sa = new DagSync(a);
    const before = await topo(a);
    const unasked = await sa.handle('mallory', { type: 'events', group, events: dag.slice(10, 20) });
    expect(unasked.results).toEqual([]);
    expect(await topo(a)).toEqual(before);
    // Mallory announces a head, then answers with events that connect to nothing.
    const heads = await sa.handle('mallory', { type: 'heads', group, heads: [dag[300]!.cid], reply: true });
    expect(heads.replies.map((r) => r.type)).toEqual(['fetch']);
    const junk = await sa.handle('mallory', { type: 'events', group, events: dag.slice(250, 260) });
    expect(junk.replies).toEqual([]);
    expect(junk.abandoned).toMatch(/without progress/);
    expect(await topo(a)).toEqual(before);
  });

  it('asks a peer whose heads it knows for the ancestors its pending events miss', async () => {
    const a = await newStore();
    const b = await newStore();
    await a.addMany(dag.slice(0, 200));
    await b.addMany(dag.slice(0, 200));
    const peers = { a: new DagSync(a), b: new DagSync(b) };
    const stale = await peers.b.makeHeads(group); // announced before b got the branch below
    const extra = branch(dag[199]!, 6);
    await b.addMany(extra.slice(0, 5));
    // The tip of the branch reaches a from elsewhere (a push, which names the group); its parent and
    // their ancestors are missing.
    expect((await a.addMany([{ bytes: extra[5]!.bytes, cid: extra[5]!.cid, group }])).map((r) => r.status)).toEqual(['pending']);
    const { outcomes } = await run(peers, [{ to: 'a', from: 'b', msg: stale }]);
    expect(outcomes[0]?.replies.map((r) => r.type)).toEqual(['heads', 'fetch']);
    const statuses = outcomes.flatMap((o) => o.results.map((r) => `${r.cid?.toString()} ${r.status}`));
    expect(statuses).toContain(`${extra[5]!.cid.toString()} accepted`);
    expect(a.pending.size).toBe(0);
    expect(await a.has(extra[5]!.cid)).toBe(true);
    expect(await a.checkIntegrity()).toEqual([]);
  });

  it('bounds the walk for pending ancestors like a gap fill', async () => {
    const a = await newStore();
    const b = await newStore();
    await a.addMany(dag.slice(0, 1));
    await b.addMany(dag.slice(0, 1));
    const sa = new DagSync(a, { maxGapEvents: 100, maxGapRounds: 50 });
    const peers = { a: sa, b: new DagSync(b) };
    const stale = await peers.b.makeHeads(group); // only the genesis, which a holds
    await b.addMany(dag);
    const last = dag[dag.length - 1]!;
    await a.addMany([{ bytes: last.bytes, cid: last.cid, group }]);
    const { outcomes } = await run(peers, [{ to: 'a', from: 'b', msg: stale }]);
    const abandoned = outcomes.map((o) => o.abandoned).filter(Boolean);
    expect(abandoned).toHaveLength(1);
    expect(abandoned[0]).toMatch(/stopped after/);
    expect((await a.getGroup(group))!.events).toBeLessThanOrEqual(1 + 100);
    expect(await a.checkIntegrity()).toEqual([]);
  });

  it('refuses a pushed event whose parents are in another group than the push names', async () => {
    const other = [...generateDag({ events: 5, groups: 1, forkRate: 0, seed: 11 })];
    const a = await newStore();
    await a.addMany([dag[0]!, other[0]!]);
    const sa = new DagSync(a);
    const before = await snapshot(a.db);
    const e = dag[1]!; // a child of dag[0], so of `group`
    const out = await sa.handle('c', { type: 'push', group: other[0]!.cid, event: { cid: e.cid, bytes: e.bytes } });
    expect(out.results.map(codeOf)).toEqual(['group_mismatch']);
    expect(out.replies).toEqual([]);
    expect(await snapshot(a.db)).toEqual(before);
    expect(a.pending.size).toBe(0);
  });

  it('chases only the parents missed by pending events received for the announced group', async () => {
    const other = [...generateDag({ events: 30, groups: 1, forkRate: 0, seed: 11 })];
    const otherGroup = other[0]!.cid;
    const a = await newStore();
    await a.addMany([dag[0]!, other[0]!]);
    const sa = new DagSync(a);
    const mine = dag[29]!;
    const theirs = other[29]!;
    // Pushed by a third site: each waits for parents, in the pool, under the group its push named.
    for (const [g, e] of [[group, mine], [otherGroup, theirs]] as const) {
      const out = await sa.handle('c', { type: 'push', group: g, event: { cid: e.cid, bytes: e.bytes } });
      expect(out.results.map(codeOf)).toEqual(['pending']);
    }
    expect(a.pending.entries().map((p) => p.checked.groupHint?.toString())).toEqual([group.toString(), otherGroup.toString()]);
    // b announces heads of `group` that a knows: a asks b for what `mine` misses, not for what `theirs` misses.
    const out = await sa.handle('b', { type: 'heads', group, heads: [dag[0]!.cid], reply: true });
    expect(out.replies.map((r) => r.type)).toEqual(['fetch']);
    const fetch = out.replies[0]!;
    expect(fetch.group.equals(group)).toBe(true);
    const wanted = fetch.type === 'fetch' ? fetch.want.map(cidKey) : [];
    expect(wanted).toEqual(mine.event.parents.map(cidKey).sort());
    expect(wanted.some((k) => theirs.event.parents.map(cidKey).includes(k))).toBe(false);
  });

  it('sends nothing when every head is known and nothing is pending', async () => {
    const a = await newStore();
    await a.addMany(dag.slice(0, 50));
    const out = await new DagSync(a).handle('b', { type: 'heads', group, heads: await a.getHeads(group), reply: true });
    expect(out.replies).toEqual([]);
  });
});
