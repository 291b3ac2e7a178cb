import { describe, expect, it } from 'vitest';
import * as dagCbor from '@ipld/dag-cbor';
import { utf8 } from '@weft/codec';
import type { CID } from 'multiformats/cid';
import { cidKey, drainPending, EventError, generateDag, MAX_EVENT_BYTES } from '../src/index.ts';
import type { DagStore } from '../src/index.ts';
import { child, codeOf, genesis, makeSigner, newStore, only, signRaw, smallForkedDag, snapshot } from './helpers.ts';

const a = makeSigner(1);
const b = makeSigner(2);

/** A store holding one group: genesis, a commit and a message. */
async function seeded(): Promise<{ store: DagStore; g: CID; c: CID; m: CID }> {
  const store = await newStore();
  const g = genesis(a);
  const c = child(a, [g.cid], g.cid, 'commit', 'c', { leaf: 0 });
  const m = child(b, [c.cid], c.cid, 'message', 'm');
  const res = await store.addMany([g, c, m]);
  expect(res.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted']);
  return { store, g: g.cid, c: c.cid, m: m.cid };
}

/**
 * Offers one block (optionally named by `cid`, and received for `group` as a sync message would
 * say) and returns the code; asserts the database is byte-for-byte unchanged.
 */
async function rejectUnchanged(store: DagStore, bytes: Uint8Array, cid?: CID, group?: CID): Promise<string> {
  const before = await snapshot(store.db);
  const pendingBefore = store.pending.size;
  const r = only(await store.addMany([{ bytes, ...(cid ? { cid } : {}), ...(group ? { group } : {}) }]));
  expect(await snapshot(store.db)).toEqual(before);
  expect(store.pending.size).toBe(pendingBefore);
  return codeOf(r);
}

describe('store rejections leave the store unchanged', () => {
  it('wrong CID', async () => {
    const { store, g, c } = await seeded();
    const e = child(a, [c], c, 'message', 'w');
    expect(await rejectUnchanged(store, e.bytes, g)).toBe('cid_mismatch');
  });

  it('non-canonical and trailing CBOR', async () => {
    const { store, g, c } = await seeded();
    const e = child(a, [c], c, 'message', 'n');
    expect(await rejectUnchanged(store, new Uint8Array([...e.bytes, 0x00]))).toBe('trailing_bytes');
    const i = e.bytes.findIndex((x, k) => x === 0x61 && e.bytes[k + 1] === 0x76 && e.bytes[k + 2] === 0x02);
    const nonMinimal = new Uint8Array([...e.bytes.subarray(0, i + 2), 0x18, 0x02, ...e.bytes.subarray(i + 3)]);
    expect(await rejectUnchanged(store, nonMinimal)).toBe('non_canonical');
  });

  it('unknown fields and kinds', async () => {
    const { store, g, c } = await seeded();
    const raw = { v: 2, kind: 'message', author: { key: a.publicKey }, parents: [c], base: c, body: utf8('u') };
    expect(await rejectUnchanged(store, signRaw({ ...raw, colour: 'red' }, a).bytes)).toBe('unknown_field');
    expect(await rejectUnchanged(store, signRaw({ ...raw, kind: 'reaction' }, a).bytes)).toBe('unknown_kind');
  });

  it('bad or missing signature', async () => {
    const { store, g, c } = await seeded();
    const e = child(a, [c], c, 'message', 's');
    const raw = dagCbor.decode(e.bytes) as Record<string, unknown>;
    const sig = new Uint8Array(raw['sig'] as Uint8Array);
    sig[0] = (sig[0] as number) ^ 1;
    expect(await rejectUnchanged(store, dagCbor.encode({ ...raw, sig }))).toBe('bad_signature');
    // Signed by b but claims a's key.
    const forged = signRaw({ v: 2, kind: 'message', author: { key: a.publicKey }, parents: [c], base: c, body: utf8('f') }, b);
    expect(await rejectUnchanged(store, forged.bytes)).toBe('bad_signature');
    const { sig: _s, ...unsigned } = raw;
    expect(await rejectUnchanged(store, dagCbor.encode(unsigned))).toBe('missing_signature');
    const badKey = signRaw({ v: 2, kind: 'message', author: { key: new Uint8Array(5) }, parents: [c], base: c, body: utf8('k') }, a);
    expect(await rejectUnchanged(store, badKey.bytes)).toMatch(/^(bad_author_key|bad_signature)$/);
  });

  it('more than 20 parents, and over 64 KiB', async () => {
    const { store, g, c } = await seeded();
    const parents = Array.from({ length: 21 }, (_, i) => genesis(a, `p${i}`).cid).sort((x, y) => Buffer.compare(x.bytes, y.bytes));
    const raw = { v: 2, kind: 'message', author: { key: a.publicKey }, base: c, body: utf8('p') };
    expect(await rejectUnchanged(store, signRaw({ ...raw, parents }, a).bytes)).toBe('too_many_parents');
    expect(await rejectUnchanged(store, signRaw({ ...raw, parents: [c], body: new Uint8Array(MAX_EVENT_BYTES) }, a).bytes)).toBe('too_large');
  });

  it('a parent that is never supplied', async () => {
    const { store, g, c } = await seeded();
    const ghost = child(a, [c], c, 'message', 'ghost'); // never offered
    const e = child(a, [ghost.cid], c, 'message', 'orphan');
    const before = await snapshot(store.db);
    const r = only(await store.add(e.bytes));
    expect(r.status).toBe('pending');
    expect(r.status === 'pending' && r.missing.map(String)).toEqual([ghost.cid.toString()]);
    expect(await snapshot(store.db)).toEqual(before);
    const drained = drainPending(store.pending);
    expect(drained.map(codeOf)).toEqual(['missing_parent']);
    expect(store.pending.size).toBe(0);
    expect(await snapshot(store.db)).toEqual(before);
    // Without a pool (the archive case) the same event is refused outright.
    const dry = await store.check([e]);
    expect(dry.map(codeOf)).toEqual(['pending']);
  });

  it('a second genesis for a group', async () => {
    const { store, g } = await seeded();
    const raw = { v: 2, kind: 'genesis', suite: 1, group: g, author: { key: a.publicKey }, parents: [], body: utf8('again') };
    expect(await rejectUnchanged(store, signRaw(raw, a).bytes)).toBe('duplicate_genesis');
  });

  it('a replay is a no-op reported as duplicate', async () => {
    const { store, g, c } = await seeded();
    const e = child(a, [c], c, 'message', 'r');
    expect(codeOf(only(await store.add(e.bytes)))).toBe('accepted');
    expect(await rejectUnchanged(store, e.bytes)).toBe('duplicate');
    expect(await rejectUnchanged(store, e.bytes, e.cid)).toBe('duplicate');
  });

  it('an event whose parents would make it its own ancestor', async () => {
    const { store, g, c } = await seeded();
    // The block claims CID X and lists X as its parent: accepting it would put it above itself.
    const x = child(a, [c], c, 'message', 'x');
    const loop = child(a, [x.cid], c, 'message', 'loop');
    expect(await rejectUnchanged(store, loop.bytes, x.cid)).toBe('cycle');
  });

  it('group mismatch, bad base, bad resolves, unknown suite', async () => {
    const { store, g, c, m } = await seeded();
    const g2 = genesis(b, 'other');
    await store.add(g2.bytes);
    // An event's group is its parents': parents in two groups make no group.
    expect(await rejectUnchanged(store, child(a, [c, g2.cid], c).bytes)).toBe('group_mismatch');
    expect(await rejectUnchanged(store, child(a, [c, g2.cid], g2.cid).bytes)).toBe('group_mismatch');
    // The same when the parents arrive in the same call, none of them stored yet.
    const [ga, gb] = [genesis(a, 'ga'), genesis(b, 'gb')];
    const both = child(a, [ga.cid, gb.cid], ga.cid);
    expect((await (await newStore()).addMany([ga, gb, both])).map(codeOf)).toEqual(['accepted', 'accepted', 'group_mismatch']);
    expect(await rejectUnchanged(store, child(a, [m], m, 'commit').bytes)).toBe('bad_base'); // base is a message
    expect(await rejectUnchanged(store, child(a, [m], g2.cid, 'commit').bytes)).toBe('bad_base'); // base in another group
    expect(await rejectUnchanged(store, child(a, [m], c, 'commit', 'r', { resolves: [m] }).bytes)).toBe('bad_resolves');
    const odd = signRaw({ v: 2, kind: 'genesis', suite: 77, author: { key: a.publicKey }, parents: [], body: utf8('s') }, a);
    expect(await rejectUnchanged(store, odd.bytes)).toBe('unknown_suite');
  });

  it('an event received for another group than its parents\' (a sync message naming the wrong group)', async () => {
    const { store, g, c } = await seeded();
    const g2 = genesis(b, 'other');
    await store.add(g2.bytes);
    const e = child(a, [c], c, 'message', 'moved');
    expect(await rejectUnchanged(store, e.bytes, e.cid, g2.cid)).toBe('group_mismatch');
    // A genesis is its own group, so it cannot be received for another one.
    const g3 = genesis(b, 'third');
    expect(await rejectUnchanged(store, g3.bytes, g3.cid, g)).toBe('group_mismatch');
    // The same event received for its own group is accepted.
    expect(only(await store.addMany([{ bytes: e.bytes, cid: e.cid, group: g }])).status).toBe('accepted');
  });

  it('an event pooled under the group it was received for is refused if its parents turn out to be elsewhere', async () => {
    const { store, g, c, m } = await seeded();
    const g2 = genesis(b, 'other');
    await store.add(g2.bytes);
    const ghost = child(a, [c], c, 'message', 'ghost'); // of group g, not yet here
    const e = child(a, [ghost.cid], c, 'message', 'orphan');
    const r = only(await store.addMany([{ bytes: e.bytes, cid: e.cid, group: g2.cid }]));
    expect(r.status).toBe('pending');
    expect(store.pending.get(cidKey(e.cid))?.checked.groupHint?.equals(g2.cid)).toBe(true);
    const before = await snapshot(store.db);
    const released = await store.add(ghost.bytes);
    expect(released.map(codeOf)).toEqual(['accepted', 'group_mismatch']);
    expect(store.pending.size).toBe(0);
    expect(await store.has(e.cid)).toBe(false);
    expect((await store.getHeads(g2.cid)).map(String)).toEqual([g2.cid.toString()]);
    expect((await store.getHeads(g)).map(String).sort()).toEqual([m.toString(), ghost.cid.toString()].sort());
    // The parent was written, nothing of the refused event.
    const after = await snapshot(store.db);
    expect(after.length).toBeGreaterThan(before.length);
    expect(after.some((kv) => kv.includes(cidKey(e.cid)))).toBe(false);
  });

  it('attributes a pending event to the group it was received for, and to none without one', async () => {
    const { store, g, c } = await seeded();
    const ghost = child(a, [c], c, 'message', 'ghost');
    const hinted = child(a, [ghost.cid], c, 'message', 'hinted');
    const bare = child(a, [ghost.cid], c, 'message', 'bare');
    await store.addMany([{ bytes: hinted.bytes, group: g }, { bytes: bare.bytes }]);
    const groups = store.pending.entries().map((e) => [e.checked.cid.toString(), e.checked.groupHint?.toString()]);
    expect(groups).toEqual([
      [hinted.cid.toString(), g.toString()],
      [bare.cid.toString(), undefined],
    ]);
    // With the group known, the hinted one's signature was checked on entry; the bare one waits unchecked.
    expect(store.pending.entries().map((e) => e.signatureVerified)).toEqual([true, false]);
    const released = await store.add(ghost.bytes);
    expect(released.map(codeOf)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(await store.checkIntegrity()).toEqual([]);
  });

  it('runs the authorize hook on handshakes only, and stores nothing it refuses', async () => {
    const seen: string[] = [];
    const store = await newStore({
      authorize: ({ checked }) => {
        seen.push(checked.event.kind);
        return checked.event.author.leaf !== 9;
      },
    });
    const g = genesis(a);
    await store.add(g.bytes);
    const before = await snapshot(store.db);
    const denied = child(a, [g.cid], g.cid, 'commit', 'd', { leaf: 9 });
    const r = only(await store.add(denied.bytes));
    expect(codeOf(r)).toBe('unauthorized');
    expect(r.status === 'rejected' && r.error).toBeInstanceOf(EventError);
    expect(await snapshot(store.db)).toEqual(before);
    await store.add(child(a, [g.cid], g.cid, 'message', 'msg').bytes);
    expect(seen).toEqual(['genesis', 'commit']);
  });
});

describe('store indexes and queries', () => {
  it('tracks heads, children, heights, topological order and forks', async () => {
    const { events, group, commits } = smallForkedDag();
    const store = await newStore();
    await store.addMany(events);
    const [g, c1, c2, m] = events.map((e) => e.cid) as [CID, CID, CID, CID];
    expect((await store.getHeads(group)).map(String)).toEqual([m.toString()]);
    expect((await store.getMeta(m))?.height).toBe(2);
    expect((await store.getChildren(g)).map(String).sort()).toEqual([c1, c2].map(String).sort());
    const topo = (await store.getTopologicalOrder(group)).map(String);
    const mid = [c1, c2].sort((x, y) => Buffer.compare(x.bytes, y.bytes)).map(String);
    expect(topo).toEqual([g.toString(), ...mid, m.toString()]);
    const forks = await store.getForks(group);
    expect(forks).toHaveLength(1);
    expect(forks[0]?.base.toString()).toBe(g.toString());
    expect(forks[0]?.commits.map(String)).toEqual(commits.map((c) => c.cid).sort((x, y) => Buffer.compare(x.bytes, y.bytes)).map(String));
    expect((await store.getAncestors(m)).map(String)).toEqual([g.toString(), ...mid]);
    expect((await store.getEventsSince(group, [c1])).map(String)).toEqual([c2.toString(), m.toString()]);
    expect((await store.getEventsSince(group, [m]))).toEqual([]);
    expect((await store.getEventsSince(group, [])).map(String)).toEqual(topo);
    expect(await store.listGroups()).toEqual([{ group, suite: 1, events: 4 }]);
    expect(await store.checkIntegrity()).toEqual([]);
  });

  it('a proposal on a base is indexed but is not a fork', async () => {
    const store = await newStore();
    const g = genesis(a);
    const p = child(a, [g.cid], g.cid, 'proposal', 'p', { leaf: 0 });
    const c = child(b, [p.cid], g.cid, 'commit', 'c', { leaf: 1 });
    await store.addMany([g, p, c]);
    expect((await store.getHandshakesByBase(g.cid, g.cid)).map((h) => h.kind).sort()).toEqual(['commit', 'proposal']);
    expect(await store.getForks(g.cid)).toEqual([]);
    const all = await store.getForks(g.cid, { includeProposals: true });
    expect(all.map((f) => [f.base.toString(), f.commits.length])).toEqual([[g.cid.toString(), 2]]);
  });

  it('releases pending events in cascade when their parents arrive', async () => {
    const { events, group } = smallForkedDag();
    const store = await newStore();
    const reversed = [...events].reverse();
    const first = await store.addMany(reversed.slice(0, 3));
    expect(first.map((r) => r.status)).toEqual(['pending', 'pending', 'pending']);
    expect(await snapshot(store.db)).toEqual([]);
    const last = await store.addMany(reversed.slice(3));
    expect(last.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
    expect(store.pending.size).toBe(0);
    expect((await store.getGroup(group))?.events).toBe(4);
    expect(await store.checkIntegrity()).toEqual([]);
  });

  it('never pools a forged event of a known group, and checks pooled ones when they are released', async () => {
    const store = await newStore();
    const g = genesis(a);
    const ghost = child(a, [g.cid], g.cid, 'message', 'ghost');
    const forgedRaw = { v: 2, kind: 'message', author: { key: a.publicKey }, parents: [ghost.cid], base: g.cid, body: utf8('f') };
    const forged = signRaw(forgedRaw, b); // signed by b, claims a
    // Group unknown: the signature cannot be checked yet, so the event waits.
    expect(codeOf(only(await store.add(forged.bytes)))).toBe('pending');
    await store.add(g.bytes);
    const released = await store.add(ghost.bytes);
    expect(released.map(codeOf)).toEqual(['accepted', 'bad_signature']);
    expect(await store.has(forged.cid)).toBe(false);
    // Group known (received for it, as a push says): refused at once, the pool stays empty.
    const forged2 = signRaw({ ...forgedRaw, parents: [child(a, [g.cid], g.cid, 'message', 'never').cid] }, b);
    expect(codeOf(only(await store.addMany([{ bytes: forged2.bytes, group: g.cid }])))).toBe('bad_signature');
    expect(store.pending.size).toBe(0);
  });

  it('bounds the pending pool and evicts the oldest first', async () => {
    const store = await newStore({ pending: { maxCount: 2 } });
    const g = genesis(a);
    await store.add(g.bytes);
    const ghost = child(a, [g.cid], g.cid, 'message', 'ghost');
    const waiting = [1, 2, 3].map((i) => child(a, [ghost.cid], g.cid, 'message', `w${i}`));
    const r = await store.addMany(waiting);
    expect(r.map(codeOf)).toEqual(['pending', 'pending', 'pending', 'missing_parent']);
    expect(r[3]?.cid?.toString()).toBe(waiting[0]?.cid.toString());
    expect(store.pending.size).toBe(2);
    const done = await store.add(ghost.bytes);
    expect(done.map((x) => x.status)).toEqual(['accepted', 'accepted', 'accepted']);
  });

  it('persists across reopen on the same database', async () => {
    const { events, group } = smallForkedDag();
    const store = await newStore();
    await store.addMany(events);
    const { DagStore } = await import('../src/index.ts');
    const again = await DagStore.open(store.db, { resolveSuite: (await import('./helpers.ts')).resolveSuite });
    expect((await again.getHeads(group)).length).toBe(1);
    expect(only(await again.add(events[1]!.bytes)).status).toBe('duplicate');
  });

  it('a failed batch write leaves memory agreeing with what was written, and a retry completes', async () => {
    const events = [...generateDag({ events: 200, groups: 1, forkRate: 0.2, seed: 4 })];
    const group = events[0]!.cid;
    const store = await newStore({ batchSize: 32 });
    // The third batch write fails (while the fourth batch is being filled: writes overlap validation).
    const db = store.db as unknown as { batch: () => { write: (o?: unknown) => Promise<void> } };
    const realBatch = db.batch.bind(db);
    let writes = 0;
    db.batch = () => {
      const b = realBatch();
      const write = b.write.bind(b);
      b.write = (o?: unknown) => (++writes === 3 ? Promise.reject(new Error('disk full')) : write(o));
      return b;
    };
    await expect(store.addMany(events)).rejects.toThrow('disk full');
    delete (db as { batch?: unknown }).batch; // back to the prototype's batch
    expect(await store.checkIntegrity()).toEqual([]);
    const stored = (await store.getTopologicalOrder(group)).length;
    expect(stored).toBe(64); // the two batches written before the failure
    expect((await store.getGroup(group))!.events).toBe(stored);
    const again = await store.addMany(events);
    expect(again.filter((r) => r.status === 'duplicate')).toHaveLength(64);
    expect(again.filter((r) => r.status === 'accepted')).toHaveLength(200 - 64);
    expect((await store.getGroup(group))!.events).toBe(200);
    expect(await store.checkIntegrity()).toEqual([]);
  });
});
