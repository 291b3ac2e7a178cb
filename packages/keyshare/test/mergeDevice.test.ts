// Keyshare over real @weft/merge devices: a tiny hand-driven network delivers DAG events and device
// messages (see setup: b is a member of epoch 1, per the public DAG, that holds none of its keys
// when c's two epoch-1 messages reach it).
import { describe, expect, it } from 'vitest';
import { encryptWithLabel } from '@weft/crypto';
import { toHex } from '@weft/codec';
import { cidKey, parseCid } from '@weft/dag';
import type { Effects } from '@weft/merge';
import {
  ANSWER_LABEL,
  answerContext,
  buildAnswerSecret,
  createDefaultPolicy,
  createKeyshareDevice,
  decodeKeyshareMessage,
  encodeAnswererState,
  encodeDeviceState,
  encodeRequesterState,
  encodeAnswerSecret,
  encodeKeyshareMessage,
  type KeyshareDevice,
  type KeyshareRequest,
  type TrustView,
} from '../src/index.ts';
import * as dagCbor from '@ipld/dag-cbor';
import { seededRandom } from './fixture.ts';

const decodeCborMapForTest = (bytes: Uint8Array) => dagCbor.decode(bytes) as Record<string, unknown>;

const trustAll: TrustView = { isTrusted: () => true };

interface Net {
  readonly devices: Map<string, KeyshareDevice>;
  /** Every device message sent, in order: [from id, to id, type, bytes]. */
  readonly wire: { from: string; to: string; type: string; bytes: Uint8Array }[];
  /** Events held back per device (delivered by `release`). */
  readonly held: Map<string, Uint8Array[]>;
}

function makeNet(names: string[]): Net {
  const devices = new Map<string, KeyshareDevice>();
  names.forEach((id, i) => {
    devices.set(
      id,
      createKeyshareDevice({
        device: { id, suite: 1, random: seededRandom(100 + i) },
        trust: trustAll,
        policy: createDefaultPolicy(),
        askAfterMs: 50,
        requester: { baseBackoffMs: 100, maxBackoffMs: 400, lifetimeMs: 5000 },
      }),
    );
  });
  return { devices, wire: [], held: new Map() };
}

function dev(net: Net, id: string): KeyshareDevice {
  return net.devices.get(id)!;
}

function idOfKey(net: Net, hex: string): string {
  for (const [id, d] of net.devices) if (d.getDeviceKey() === hex) return id;
  return '?';
}

/** Delivers the effects of `from`: events to every other device (unless held), device messages to their recipient, recursively. */
function deliver(net: Net, from: string, fx: Effects, now: number, hold: (to: string, ev: Uint8Array) => boolean = () => false): void {
  for (const ev of fx.publish) {
    for (const [id, d] of net.devices) {
      if (id === from) continue;
      if (hold(id, ev)) {
        net.held.set(id, [...(net.held.get(id) ?? []), ev]);
        continue;
      }
      deliver(net, id, d.ingest(ev, now), now, hold);
    }
  }
  for (const m of fx.deviceMessages ?? []) {
    const to = idOfKey(net, m.to);
    net.wire.push({ from, to, type: decodeKeyshareMessage(dev(net, to).identity.cs, m.bytes).message.type, bytes: m.bytes });
    deliver(net, to, dev(net, to).receiveDeviceMessage(m.bytes, now), now, hold);
  }
}

/** Delivers the events held for `id` at `now`, then ticks it once the ask delay (50 ms) has passed. */
function release(net: Net, id: string, now: number): void {
  const list = net.held.get(id) ?? [];
  net.held.delete(id);
  for (const ev of list) deliver(net, id, dev(net, id).ingest(ev, now), now);
  deliver(net, id, dev(net, id).tick(now + 50), now + 50);
}

/** Everything keyshare holds on a device, as the bytes it would persist (equal: nothing changed). */
function stateOf(d: KeyshareDevice): string {
  const s = d.exportState();
  return [encodeAnswererState(s.answerer), encodeRequesterState(s.requester), encodeDeviceState(s)].map(toHex).join('/');
}

function textsOf(d: KeyshareDevice): (string | null)[] {
  return d.view().messages.map((m) => m.text);
}

/**
 * a, b, c in epoch 1. a updates (epoch 2), which c does not see yet, so c sends two messages in
 * epoch 1 concurrently; b processes the update, evicts epoch 1, and only then gets c's messages.
 */
function setup(): { net: Net; msgs: string[]; epoch1: string } {
  const net = makeNet(['a', 'b', 'c']);
  const a = dev(net, 'a');
  deliver(net, 'a', a.createGroup(0), 0);
  const kps = [dev(net, 'b').createKeyPackage(), dev(net, 'c').createKeyPackage()];
  deliver(net, 'a', a.add(kps, 10), 10);
  const epoch1 = a.view().head!;
  deliver(net, 'a', a.update(30), 30, (to) => to === 'c');
  const c = dev(net, 'c');
  deliver(net, 'c', c.send('first in epoch 1', 40), 40, (to) => to === 'b');
  deliver(net, 'c', c.send('second in epoch 1', 41), 41, (to) => to === 'b');
  release(net, 'c', 50);
  const b = dev(net, 'b');
  expect(b.view().epoch).toBe(2);
  b.merge.evictBefore(b.merge.getLedger()!.head!.height);
  expect(b.getWorldStatus(epoch1)).toBe('evicted');
  const msgs = c.view().messages.map((m) => m.cid);
  expect(msgs).toHaveLength(2);
  return { net, msgs, epoch1 };
}

function cidOf(d: KeyshareDevice, ev: Uint8Array): string {
  // The event's CID: the ledger holds every event a published, keyed by CID.
  for (const e of d.merge.getLedger()!.entries.values()) if (toHex(e.checked.bytes) === toHex(ev)) return e.cid.toString();
  throw new Error('unknown event');
}

describe('keyshare over the real merge device', () => {
  it('a member of an epoch whose keys were evicted asks automatically, gets the sender ratchet from a, reads and authenticates both messages', () => {
    const { net, msgs, epoch1 } = setup();
    release(net, 'b', 100);
    const b = dev(net, 'b');
    expect(textsOf(b)).toEqual(['first in epoch 1', 'second in epoch 1']);
    // One request (both messages from the same sender and epoch) to c, the sender; one answer back.
    expect(net.wire.map((w) => `${w.from}->${w.to} ${w.type}`)).toEqual(['b->c request', 'c->b answer']);
    const rec = b.listRecovered();
    expect(rec.map((r) => [r.cid, r.epoch, r.sender, r.answererId, r.since, r.at])).toEqual([
      [msgs[0], epoch1, 'c', 'c', 100, 150],
      [msgs[1], epoch1, 'c', 'c', 100, 150],
    ]);
    expect(b.view().messages.map((m) => m.recovered)).toEqual([{ from: 'c', at: 150 }, { from: 'c', at: 150 }]);
    expect(b.listUnreadable()).toEqual([]);
    // merge state was not written: the merge device alone still cannot read them
    expect(b.merge.view().messages.map((m) => m.text)).toEqual([null, null]);
  });

  it('a request for an epoch the answerer evicted is withheld (unavailable); the next member answers', () => {
    const { net } = setup();
    const c = dev(net, 'c');
    c.merge.evictBefore(c.merge.getLedger()!.head!.height);
    release(net, 'b', 100);
    expect(net.wire.map((w) => `${w.from}->${w.to} ${w.type}`)).toEqual(['b->c request', 'c->b withheld', 'b->a request', 'a->b answer', 'b->c cancel']);
    const withheld = decodeKeyshareMessage(c.identity.cs, net.wire[1]!.bytes).message;
    expect(withheld.type === 'withheld' && withheld.reason).toBe('unavailable');
    expect(c.listKeyshareLog().filter((l) => l.kind === 'withheld').map((l) => l.reason)).toEqual(['unavailable']);
    expect(textsOf(dev(net, 'b'))).toEqual(['first in epoch 1', 'second in epoch 1']);
    expect(dev(net, 'b').listRecovered().map((r) => [r.answererId, r.sender])).toEqual([['a', 'c'], ['a', 'c']]);
  });

  it('when every member refuses for a lasting reason the request is given up and each message says why and how long it waited', () => {
    const { net } = setup();
    for (const id of ['a', 'c']) {
      const d = dev(net, id);
      d.merge.evictBefore(d.merge.getLedger()!.head!.height);
    }
    release(net, 'b', 100);
    const b = dev(net, 'b');
    expect(net.wire.map((w) => `${w.from}->${w.to} ${w.type}`)).toEqual(['b->c request', 'c->b withheld', 'b->a request', 'a->b withheld', 'b->c cancel', 'b->a cancel']);
    b.tick(700);
    expect(b.listUnreadable().map((u) => [u.reason, u.mergeReason, u.member, u.waitedMs])).toEqual([
      ['withheld:unavailable', 'evicted', true, 600],
      ['withheld:unavailable', 'evicted', true, 600],
    ]);
    expect(b.view().messages.map((m) => [m.text, m.reason, m.keyshare, m.waitedMs])).toEqual([
      [null, 'evicted', 'withheld:unavailable', 600],
      [null, 'evicted', 'withheld:unavailable', 600],
    ]);
  });

  it('an answer whose secret does not decrypt the message is refused (key_mismatch); the request stays open and nothing is read', () => {
    const { net, epoch1 } = setup();
    const a = dev(net, 'c'); // the sender, asked first
    const b = dev(net, 'b');
    // Intercept b's request to c instead of letting c answer it.
    const requests: Uint8Array[] = [];
    for (const ev of net.held.get('b') ?? []) {
      b.ingest(ev, 100);
    }
    net.held.delete('b');
    for (const m of b.tick(150).deviceMessages ?? []) requests.push(m.bytes);
    expect(requests).toHaveLength(1);
    const request = decodeKeyshareMessage(a.identity.cs, requests[0]!).message as KeyshareRequest;
    expect(request.epoch.toString()).toBe(epoch1);
    // A real answer would carry c's ratchet for epoch 1; this one carries c's ratchet of epoch 2 (a
    // real secret, for the wrong epoch) with epoch 1's sender-data keys, so the content does not open.
    const keys1 = a.getEpochKeys(epoch1);
    const keys2 = a.getEpochKeys(a.view().head!);
    if (keys1 === null || keys1 === 'evicted' || keys2 === null || keys2 === 'evicted') throw new Error('c holds both epochs');
    const right = buildAnswerSecret(a.identity.cs, keys1, request);
    const wrong = buildAnswerSecret(a.identity.cs, { ...keys1, secretTree: keys2.secretTree }, { sender: request.sender, wanted: { kind: 'range', from: right.generation, to: right.generation + 1 } });
    const sealed = encryptWithLabel(a.identity.cs, b.identity.binding.hpkeKey, ANSWER_LABEL, answerContext(request, a.identity.binding.sigKey), encodeAnswerSecret({ ...wrong, senderDataKeys: right.senderDataKeys }));
    const bad = encodeKeyshareMessage(a.identity.cs, a.identity.signaturePrivateKey, {
      type: 'answer',
      from: a.identity.binding.sigKey,
      to: b.identity.binding.sigKey,
      group: request.group,
      epoch: request.epoch,
      id: request.id,
      attempt: request.attempt,
      sender: request.sender,
      kemOutput: sealed.kemOutput,
      ciphertext: sealed.ciphertext,
    });
    const before = JSON.stringify(b.view());
    const beforeState = stateOf(b);
    const fx = b.receiveDeviceMessage(bad, 151);
    expect(fx.rejected?.map((r) => r.code)).toEqual(['key_mismatch']);
    expect(stateOf(b)).toBe(beforeState);
    expect(b.listRecovered()).toEqual([]);
    expect(textsOf(b)).toEqual([null, null]);
    expect(b.view().messages.map((m) => [m.reason, m.keyshare])).toEqual([['evicted', 'awaiting_answer'], ['evicted', 'awaiting_answer']]);
    expect(JSON.stringify({ ...b.view(), messages: b.view().messages.map((m) => ({ ...m, waitedMs: 0 })) })).toBe(
      JSON.stringify({ ...JSON.parse(before), messages: JSON.parse(before).messages.map((m: object) => ({ ...m, waitedMs: 0 })) }),
    );
    // The genuine answer to the same request still works afterwards.
    const good = a.receiveDeviceMessage(requests[0]!, 152);
    expect(good.deviceMessages).toHaveLength(1);
    b.receiveDeviceMessage(good.deviceMessages![0]!.bytes, 153);
    expect(textsOf(b)).toEqual(['first in epoch 1', 'second in epoch 1']);
  });

  it('bad device messages get a typed refusal and change nothing', () => {
    const { net, msgs } = setup();
    release(net, 'b', 100);
    const b = dev(net, 'b');
    const before = JSON.stringify({ view: b.view(), recovered: b.listRecovered() });
    const beforeState = stateOf(b);
    const answer = net.wire.find((w) => w.type === 'answer')!.bytes;
    const cases: [Uint8Array, string][] = [
      [new Uint8Array([1, 2, 3]), 'malformed'],
      [new Uint8Array(0), 'truncated'], // the strict decoder (@weft/dag) reports an empty input as truncated
      [answer, 'unsolicited'], // the same answer again: its request is closed
      [answer.slice(0, answer.length - 1), 'truncated'],
    ];
    for (const [bytes, code] of cases) {
      const fx = b.receiveDeviceMessage(bytes, 200);
      expect([fx.rejected?.map((r) => r.code), fx.deviceMessages ?? [], fx.publish]).toEqual([[code], [], []]);
    }
    expect(JSON.stringify({ view: b.view(), recovered: b.listRecovered() })).toBe(before);
    expect(stateOf(b)).toBe(beforeState);
    expect(b.listRecovered().map((r) => r.cid)).toEqual(msgs);
  });

  it('requests the answering device refuses: a forged signature and a replay get no reply, an untrusted requester is withheld; its state does not change', () => {
    const { net } = setup();
    const b = dev(net, 'b');
    const c = dev(net, 'c');
    for (const ev of net.held.get('b') ?? []) b.ingest(ev, 100);
    net.held.delete('b');
    const request = b.tick(150).deviceMessages![0]!.bytes;
    const replyOf = (fx: Effects) => (fx.deviceMessages ?? []).map((m) => decodeKeyshareMessage(c.identity.cs, m.bytes).message).map((m) => (m.type === 'withheld' ? `withheld:${m.reason}` : m.type));
    // Forged: the last byte of the signature flipped (its place found by decoding).
    const sig = (decodeCborMapForTest(request)['sig'] as Uint8Array);
    const at = Buffer.from(request).indexOf(Buffer.from(sig));
    const forged = request.slice();
    forged[at + sig.length - 1] = (forged[at + sig.length - 1] as number) ^ 1;
    let before = stateOf(c);
    let fx = c.receiveDeviceMessage(forged, 160);
    expect([fx.rejected?.map((r) => r.code), replyOf(fx)]).toEqual([['forged'], []]);
    expect(stateOf(c)).toBe(before);
    // An untrusted requester: the same device under a trust store that trusts nobody.
    const wary = createKeyshareDevice({ device: { id: 'c', suite: 1, random: seededRandom(102) }, trust: { isTrusted: () => false }, createMergeDevice: () => c.merge });
    wary.receiveDeviceMessage(new Uint8Array(0), 155); // a first call, refused: the new wrapper takes in the merge device's messages
    before = stateOf(wary);
    fx = wary.receiveDeviceMessage(request, 160);
    expect([fx.rejected, replyOf(fx)]).toEqual([undefined, ['withheld:untrusted']]);
    expect(stateOf(wary)).toBe(before);
    // Answered once; the same request again is a replay.
    expect(replyOf(c.receiveDeviceMessage(request, 170))).toEqual(['answer']);
    before = stateOf(c);
    fx = c.receiveDeviceMessage(request, 180);
    expect([fx.rejected?.map((r) => r.code), replyOf(fx)]).toEqual([['replayed'], []]);
    expect(stateOf(c)).toBe(before);
  });

  it('a device that joined later asks explicitly for history from before its join and is refused not_a_member by every member', () => {
    const { net, msgs } = setup();
    release(net, 'b', 100);
    const x = createKeyshareDevice({ device: { id: 'x', suite: 1, random: seededRandom(7) }, trust: trustAll, askAfterMs: 0, requester: { baseBackoffMs: 100, maxBackoffMs: 400, lifetimeMs: 5000 } });
    net.devices.set('x', x);
    const a = dev(net, 'a');
    // x gets every event so far, then a adds it (epoch 3).
    for (const e of [...a.merge.getLedger()!.entries.values()].sort((p, q) => p.height - q.height)) x.ingest(e.checked.bytes, 200);
    deliver(net, 'a', a.add([x.createKeyPackage()], 200), 200);
    expect(x.view().epoch).toBe(3);
    // Not a member of epoch 1: nothing is asked automatically.
    expect(x.listUnreadable().map((u) => [u.reason, u.member])).toEqual([
      ['not_member', false],
      ['not_member', false],
    ]);
    net.wire.length = 0;
    deliver(net, 'x', x.requestMessage(msgs[0]!, 300), 300);
    // The sender (c) first, then the other members in leaf order.
    expect(net.wire.map((w) => `${w.from}->${w.to} ${w.type}`)).toEqual(['x->c request', 'c->x withheld', 'x->a request', 'a->x withheld', 'x->b request', 'b->x withheld', 'x->c cancel', 'x->a cancel', 'x->b cancel']);
    for (const id of ['a', 'b', 'c']) expect(dev(net, id).listKeyshareLog().filter((l) => l.kind === 'withheld').map((l) => l.reason)).toEqual(['not_a_member']);
    expect(x.listUnreadable().map((u) => u.reason)).toEqual(['withheld:not_a_member', 'not_member']);
    expect(x.listRecovered()).toEqual([]);
  });
});
