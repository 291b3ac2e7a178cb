// Answerer and requester snapshots round-trip; damaged snapshots are refused with typed errors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '@weft/codec';
import { CID } from 'multiformats/cid';
import {
  KeyshareError,
  answerRequest,
  createMessageRef,
  decodeAnswererState,
  decodeRequesterState,
  encodeAnswererState,
  encodeRequesterState,
  entriesOfSharded,
  receiveReply,
  requestKeys,
  tickRequester,
  type RequesterStep,
} from '../src/index.ts';
import { answererDeps, buildWorld, cs, freshAnswerer, freshRequester, requesterDeps, type HeldMessage, snapshot } from './fixture.ts';

const w = buildWorld();
const T0 = 2_000_000;


describe('state snapshots', () => {
  it('round-trip an answerer and a requester with open, answered and withheld requests', () => {
    const rDeps = requesterDeps(w, w.d);
    const refs = (m: HeldMessage) => createMessageRef(cs, m.cid, m.bytes);
    let step: RequesterStep = requestKeys(rDeps, freshRequester(), { group: w.group, epoch: w.epoch1, sender: 0, wanted: { kind: 'messages', messages: [refs(w.fromA[0] as HeldMessage)] }, candidates: [w.b.key, w.c.key] }, T0);
    const first = step.effects[0];
    if (!first) throw new Error('nothing sent');
    step = requestKeys(rDeps, step.state, { group: w.group, epoch: w.epoch1, sender: 1, wanted: { kind: 'range', from: 0, to: 4 }, candidates: [w.c.key] }, T0);
    const answered = answerRequest(answererDeps(w, w.b), freshAnswerer(), first.bytes, T0);
    if (answered.kind !== 'answered') throw new Error('withheld');
    const retried = tickRequester(rDeps, step.state, T0 + 2000);
    const toC = retried.effects.find((e) => toHex(e.to) === toHex(w.c.key));
    if (!toC) throw new Error('no retry to c');
    const refused = answerRequest(answererDeps(w, w.c, { keys: 'evicted' }), freshAnswerer(), toC.bytes, T0 + 2100);
    const got = receiveReply(rDeps, retried.state, refused.reply, T0 + 2200, () => null);
    expect(got.kind).toBe('withheld');
    step = { ...step, state: got.state };
    const requester = step.state;
    expect(snapshot(decodeRequesterState(encodeRequesterState(requester)))).toBe(snapshot(requester));
    const done = receiveReply(rDeps, requester, answered.reply, T0 + 3000, (cid) => w.messages.get(cid.toString()) ?? null);
    expect(done.kind).toBe('answered');
    expect(snapshot(decodeRequesterState(encodeRequesterState(done.state)))).toBe(snapshot(done.state));
    const answerer = answered.state;
    const back = decodeAnswererState(encodeAnswererState(answerer));
    const sorted = (m: typeof answerer.seen) => [...entriesOfSharded(m)].sort(([a], [b]) => (a < b ? -1 : 1));
    expect(sorted(back.seen)).toEqual(sorted(answerer.seen));
    expect(back.seen.size).toBe(answerer.seen.size);
    expect(back.overall?.at).toBe(answerer.overall?.at);
    expect(Math.abs((back.overall?.tokens ?? 0) - (answerer.overall?.tokens ?? 0))).toBeLessThan(0.001);
  });

  it('damaged snapshots get typed errors', () => {
    const bytes = encodeAnswererState(answerRequest(answererDeps(w, w.c), freshAnswerer(), requestFor(), T0).state);
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const bad = bytes.slice();
        bad[i] = (bad[i] as number) ^ x;
        try {
          decodeAnswererState(bad);
        } catch (err) {
          expect(err).toBeInstanceOf(KeyshareError);
        }
      }),
      { numRuns: 200 },
    );
  });
});

function requestFor(): Uint8Array {
  const step = requestKeys(requesterDeps(w, w.d), freshRequester(), { group: w.group, epoch: w.epoch1, sender: 0, wanted: { kind: 'range', from: 0, to: 1 }, candidates: [w.c.key] }, T0);
  const e = step.effects[0];
  if (!e) throw new Error('nothing sent');
  return e.bytes;
}
