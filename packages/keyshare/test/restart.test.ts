// A keyshare device restarted from its level store in the middle of a recovery, over real merge
// devices: a, b, c in epoch 1; b holds none of epoch 1's keys when c's two epoch-1 messages reach it
// (same setup as mergeDevice.test.ts). The merge device underneath is kept across the restart (it
// stands for merge state restored by its own means); everything keyshare holds comes from the store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '@weft/codec';
import type { Effects, MergeDevice } from '@weft/merge';
import {
  createDefaultPolicy,
  createKeyshareDevice,
  createLevelKeyshareDb,
  createMemoryKeyshareDb,
  decodeKeyshareMessage,
  encodeAnswererState,
  encodeDeviceState,
  encodeRequesterState,
  loadKeyshareDeviceState,
  saveKeyshareDeviceState,
  KeyshareError,
  type KeyshareDevice,
  type KeyshareDeviceState,
  type TrustView,
} from '../src/index.ts';
import { seededRandom } from './fixture.ts';

const trustAll: TrustView = { isTrusted: () => true };
const SEEDS: Record<string, number> = { a: 100, b: 101, c: 102 };

/** A keyshare device `id`; with `merge` and `state`, the same device after a restart. */
function makeDevice(id: string, merge?: MergeDevice, state?: KeyshareDeviceState | null): KeyshareDevice {
  return createKeyshareDevice({
    // The same seed draws the same signature key, so the restarted wrapper signs as the merge device does.
    device: { id, suite: 1, random: seededRandom(SEEDS[id]!) },
    trust: trustAll,
    policy: createDefaultPolicy(),
    askAfterMs: 50,
    requester: { baseBackoffMs: 100, maxBackoffMs: 400, lifetimeMs: 5000 },
    ...(merge ? { createMergeDevice: () => merge } : {}),
    ...(state ? { state } : {}),
  });
}

interface Net {
  readonly devices: Map<string, KeyshareDevice>;
  readonly held: Uint8Array[];
}

/** Delivers events of `from` to every other device (events for b are held), and device messages to their recipient. */
function deliver(net: Net, from: string, fx: Effects, now: number): void {
  for (const ev of fx.publish) {
    for (const [id, d] of net.devices) {
      if (id === from) continue;
      if (id === 'b' && from === 'c') net.held.push(ev);
      else deliver(net, id, d.ingest(ev, now), now);
    }
  }
  for (const m of fx.deviceMessages ?? []) {
    for (const [id, d] of net.devices) if (d.getDeviceKey() === m.to) deliver(net, id, d.receiveDeviceMessage(m.bytes, now), now);
  }
}

/** a creates the group with b and c; b moves to epoch 2 and evicts epoch 1; c then sends two epoch-1 messages, held for b. */
function setup(): Net {
  const net: Net = { devices: new Map(['a', 'b', 'c'].map((id) => [id, makeDevice(id)])), held: [] };
  const [a, b, c] = ['a', 'b', 'c'].map((id) => net.devices.get(id)!) as [KeyshareDevice, KeyshareDevice, KeyshareDevice];
  deliver(net, 'a', a.createGroup(0), 0);
  deliver(net, 'a', a.add([b.createKeyPackage(), c.createKeyPackage()], 10), 10);
  // a's update reaches b only; c stays in epoch 1.
  const update = a.update(30);
  for (const ev of update.publish) deliver(net, 'b', b.ingest(ev, 30), 30);
  deliver(net, 'c', c.send('first in epoch 1', 40), 40);
  deliver(net, 'c', c.send('second in epoch 1', 41), 41);
  b.merge.evictBefore(b.merge.getLedger()!.head!.height);
  return net;
}

function typesOf(cs: KeyshareDevice, fx: Effects): string[] {
  return (fx.deviceMessages ?? []).map((m) => decodeKeyshareMessage(cs.identity.cs, m.bytes).message.type);
}

/** The saved bytes of a device's state (equal bytes: nothing changed). */
function stateBytes(d: KeyshareDevice): string {
  const s = d.exportState();
  return [encodeAnswererState(s.answerer), encodeRequesterState(s.requester), encodeDeviceState(s)].map(toHex).join('/');
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('a keyshare device restarted from its level store', () => {
  it('resumes an open request without asking again, reads the answer to it, keeps what it recovered, and its answerer still refuses a replayed request', async () => {
    const net = setup();
    const b = net.devices.get('b')!;
    const c = net.devices.get('c')!;
    // b gets c's messages and, 50 ms later, asks c (the sender). The request is intercepted: b stops before any answer.
    for (const ev of net.held.splice(0)) b.ingest(ev, 100);
    const asked = b.tick(150);
    expect(typesOf(b, asked)).toEqual(['request']);
    const request = asked.deviceMessages![0]!;
    expect(request.to).toBe(c.getDeviceKey());
    const dir = mkdtempSync(join(tmpdir(), 'weft-ks-restart-'));
    dirs.push(dir);
    let db = createLevelKeyshareDb(dir);
    await saveKeyshareDeviceState(db, b.exportState());
    await db.close();

    // Restart b from the store on disk.
    db = createLevelKeyshareDb(dir);
    const b2 = makeDevice('b', b.merge, await loadKeyshareDeviceState(db));
    net.devices.set('b', b2);
    expect(b2.getDeviceKey()).toBe(b.getDeviceKey());
    expect(b2.listUnreadable().map((u) => u.reason)).toEqual(['awaiting_answer', 'awaiting_answer']);
    const requestId = toHex((decodeKeyshareMessage(c.identity.cs, request.bytes).message as { id: Uint8Array }).id);
    const sent = (fx: Effects) =>
      (fx.deviceMessages ?? []).map((m) => {
        const msg = decodeKeyshareMessage(c.identity.cs, m.bytes).message as { type: string; id: Uint8Array; attempt: number };
        return [m.to, msg.type, toHex(msg.id), msg.attempt];
      });
    // Before its retry is due (150 + 100 ms backoff) the restarted device sends nothing; then it
    // retries the same request (same id, attempt 1) with the next candidate, a: it does not ask anew.
    expect(b2.tick(200).deviceMessages ?? []).toEqual([]);
    const a = net.devices.get('a')!;
    expect(sent(b2.tick(260))).toEqual([[a.getDeviceKey(), 'request', requestId, 1]]);
    // Control: the same device restarted without its store asks anew (fresh id, attempt 0, after
    // the ask delay counted from the restart), and
    // refuses the answer to the request it made before the restart.
    const forgetful = makeDevice('b', b.merge);
    expect(forgetful.tick(260).deviceMessages ?? []).toEqual([]);
    const anew = sent(forgetful.tick(310)); // 50 ms after it first sees the messages
    expect(anew.map(([, type, , attempt]) => [type, attempt])).toEqual([['request', 0]]);
    expect(anew[0]![2]).not.toBe(requestId);

    // c answers the request sent before the restart; the restarted b accepts it (same request id, same HPKE key).
    const reply = c.receiveDeviceMessage(request.bytes, 270);
    expect(typesOf(c, reply)).toEqual(['answer']);
    expect(forgetful.receiveDeviceMessage(reply.deviceMessages![0]!.bytes, 275).rejected?.map((r) => r.code)).toEqual(['unsolicited']);
    const read = b2.receiveDeviceMessage(reply.deviceMessages![0]!.bytes, 280);
    expect(read.rejected).toBeUndefined();
    expect(b2.view().messages.map((m) => m.text)).toEqual(['first in epoch 1', 'second in epoch 1']);
    expect(b2.listRecovered().map((r) => [r.answererId, r.requestId, r.since, r.at])).toEqual([
      ['c', requestId, 100, 280],
      ['c', requestId, 100, 280],
    ]);
    // The same answer again is unsolicited: the request it answers is closed.
    expect(b2.receiveDeviceMessage(reply.deviceMessages![0]!.bytes, 290).rejected?.map((r) => r.code)).toEqual(['unsolicited']);

    // Restart b again after the recovery: the messages stay read, with their provenance, and nothing is asked.
    await saveKeyshareDeviceState(db, b2.exportState());
    await db.close();
    db = createLevelKeyshareDb(dir);
    const b3 = makeDevice('b', b.merge, await loadKeyshareDeviceState(db));
    await db.close();
    expect(b3.view().messages.map((m) => [m.text, m.recovered])).toEqual([
      ['first in epoch 1', { from: 'c', at: 280 }],
      ['second in epoch 1', { from: 'c', at: 280 }],
    ]);
    expect(b3.tick(20_000).deviceMessages ?? []).toEqual([]);
    expect(b3.exportState().requester.provenance.map((p) => toHex(p.requestId))).toEqual([requestId]);

    // c restarts from its store after answering; the same request replayed is refused, and nothing changes.
    const cdb = createMemoryKeyshareDb();
    await saveKeyshareDeviceState(cdb, c.exportState());
    const c2 = makeDevice('c', c.merge, await loadKeyshareDeviceState(cdb));
    const before = stateBytes(c2);
    const replay = c2.receiveDeviceMessage(request.bytes, 300);
    expect([replay.rejected?.map((r) => r.code), replay.deviceMessages ?? []]).toEqual([['replayed'], []]);
    expect(stateBytes(c2)).toBe(before);
    // Without its saved state, the same device would answer the replay: the store is what refuses it.
    const forgetfulC = makeDevice('c', c.merge);
    expect(typesOf(forgetfulC, forgetfulC.receiveDeviceMessage(request.bytes, 300))).toEqual(['answer']);
  });

  it('the restarted answerer keeps its rate buckets: a requester over the limit before the restart is still over it', async () => {
    const net = setup();
    const b = net.devices.get('b')!;
    const c = net.devices.get('c')!;
    for (const ev of net.held.splice(0)) b.ingest(ev, 100);
    const request = b.tick(150).deviceMessages![0]!;
    // A policy of one token per requester and no refill.
    const strict = createDefaultPolicy({ perRequester: { capacity: 1, perSecond: 0 } });
    const make = (state?: KeyshareDeviceState | null) =>
      createKeyshareDevice({ device: { id: 'c', suite: 1, random: seededRandom(102) }, trust: trustAll, policy: strict, createMergeDevice: () => c.merge, ...(state ? { state } : {}) });
    const c1 = make();
    expect(typesOf(c1, c1.receiveDeviceMessage(request.bytes, 200))).toEqual(['answer']);
    const db = createMemoryKeyshareDb();
    await saveKeyshareDeviceState(db, c1.exportState());
    // b's retries (new attempts of the same request) go to a (at 260), then to c again (at 460).
    expect((b.tick(260).deviceMessages ?? []).map((m) => m.to)).toEqual([net.devices.get('a')!.getDeviceKey()]);
    const retry = b.tick(460).deviceMessages ?? [];
    expect(retry.map((m) => [m.to, decodeKeyshareMessage(b.identity.cs, m.bytes).message.type])).toEqual([[c.getDeviceKey(), 'request']]);
    const c2 = make(await loadKeyshareDeviceState(db));
    const before = stateBytes(c2);
    const out = c2.receiveDeviceMessage(retry[0]!.bytes, 500);
    const msg = decodeKeyshareMessage(c2.identity.cs, out.deviceMessages![0]!.bytes).message;
    expect([msg.type, msg.type === 'withheld' ? msg.reason : null]).toEqual(['withheld', 'rate_limited']);
    expect(stateBytes(c2)).toBe(before);
    // A device restarted without its store would have answered.
    const fresh = make();
    expect(typesOf(fresh, fresh.receiveDeviceMessage(retry[0]!.bytes, 500))).toEqual(['answer']);
  });

  it('a damaged or partial saved state is refused with a KeyshareError, never half-read', async () => {
    const db = createMemoryKeyshareDb();
    expect(await loadKeyshareDeviceState(db)).toBeNull();
    await db.put('ks!state!device', new Uint8Array([0xa0]));
    await expect(loadKeyshareDeviceState(db)).rejects.toMatchObject({ code: 'malformed' });
    const net = setup();
    await saveKeyshareDeviceState(db, net.devices.get('a')!.exportState());
    const good = await loadKeyshareDeviceState(db);
    expect(good?.hpkePrivateKey).toEqual(net.devices.get('a')!.identity.hpkePrivateKey);
    await db.put('ks!state!requester', new Uint8Array([0xa1, 0x61, 0x76, 0x02]));
    const err = await loadKeyshareDeviceState(db).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyshareError);
    expect((err as KeyshareError).code).toBe('malformed');
  });
});
