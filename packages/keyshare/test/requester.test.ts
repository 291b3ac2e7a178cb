// Requester mechanics: dedupe, backoff retries across candidates, withheld replies moving on to the
// next device, cancel on satisfaction, expiry, and unreadable reasons with waited time.
import { describe, expect, it } from 'vitest';
import { toHex } from '@weft/codec';
import type { CID } from 'multiformats/cid';
import {
  answerRequest,
  createMessageRef,
  decodeKeyshareMessage,
  listUnreadable,
  receiveReply,
  requestKeys,
  tickRequester,
  type KeyRequestParams,
  type RequesterStep,
} from '../src/index.ts';
import { answererDeps, buildWorld, createOracle, cs, freshAnswerer, freshRequester, requesterDeps, type HeldMessage } from './fixture.ts';

const w = buildWorld();
const T0 = 5_000_000;
const messageOf = (cid: CID): Uint8Array | null => w.messages.get(cid.toString()) ?? null;
const msg = w.fromA[0] as HeldMessage;
const params: KeyRequestParams = {
  group: w.group,
  epoch: w.epoch1,
  sender: 0,
  wanted: { kind: 'messages', messages: [createMessageRef(cs, msg.cid, msg.bytes)] },
  candidates: [w.b.key, w.c.key, w.y.key, w.d.key],
};
const deps = requesterDeps(w, w.d);
const to = (e: { to: Uint8Array }): string => (toHex(e.to) === toHex(w.b.key) ? 'b' : toHex(e.to) === toHex(w.c.key) ? 'c' : '?');
const typeOf = (bytes: Uint8Array): string => decodeKeyshareMessage(cs, bytes).message.type;

describe('requester', () => {
  it('keeps one open request per (epoch, sender, range); candidates are members of the epoch other than us', () => {
    const first = requestKeys(deps, freshRequester(), params, T0);
    expect(first.effects.map(to)).toEqual(['b']);
    const again = requestKeys(deps, first.state, params, T0 + 1);
    expect(again.effects).toEqual([]);
    expect(again.state).toBe(first.state);
    const open = [...first.state.open.values()][0];
    expect(open?.candidates.map((c) => to({ to: c }))).toEqual(['b', 'c']); // y is not a member, d is us
    // a different range of the same sender is another request
    expect(requestKeys(deps, first.state, { ...params, wanted: { kind: 'range', from: 0, to: 9 } }, T0).effects).toHaveLength(1);
  });

  it('retries with exponential backoff across candidates, then expires, cancels and reports why', () => {
    let { state } = requestKeys(deps, freshRequester(), params, T0);
    const sent: string[] = [];
    const times = [T0 + 1999, T0 + 2000, T0 + 5999, T0 + 6000, T0 + 14_000];
    for (const t of times) {
      const step = tickRequester(deps, state, t);
      state = step.state;
      sent.push(...step.effects.map((e) => `${t - T0}:${to(e)}`));
    }
    expect(sent).toEqual(['2000:c', '6000:b', '14000:c']);
    const attempts = [...state.open.values()][0]?.attempts.map((a) => a.attempt);
    expect(attempts).toEqual([0, 1, 2, 3]);
    expect(listUnreadable(state, T0 + 20_000)).toMatchObject([{ reason: 'awaiting_answer', withheld: null, waitedMs: 20_000 }]);
    const expired = tickRequester(deps, state, T0 + deps.options.lifetimeMs);
    expect(expired.state.open.size).toBe(0);
    expect(expired.effects.map((e) => `${typeOf(e.bytes)}:${to(e)}`)).toEqual(['cancel:b', 'cancel:c']);
    expect(listUnreadable(expired.state, T0 + deps.options.lifetimeMs + 1)).toMatchObject([{ reason: 'expired', waitedMs: deps.options.lifetimeMs + 1 }]);
  });

  it('a withheld reply is recorded and the next candidate is asked at once; the answer cancels the others', () => {
    let step: RequesterStep = requestKeys(deps, freshRequester(), params, T0);
    const toB = step.effects[0];
    if (!toB) throw new Error('nothing sent');
    const refused = answerRequest(answererDeps(w, w.b, { keys: 'evicted' }), freshAnswerer(), toB.bytes, T0 + 10);
    expect(refused.kind).toBe('withheld');
    const got = receiveReply(deps, step.state, refused.reply, T0 + 20, messageOf);
    expect(got.kind).toBe('withheld');
    expect(listUnreadable(got.state, T0 + 30)).toMatchObject([{ reason: 'withheld', withheld: 'unavailable', waitedMs: 30 }]);
    step = tickRequester(deps, got.state, T0 + 20);
    expect(step.effects.map(to)).toEqual(['c']);
    const toC = step.effects[0];
    if (!toC) throw new Error('nothing sent');
    const answer = answerRequest(answererDeps(w, w.c), freshAnswerer(), toC.bytes, T0 + 40);
    const done = receiveReply(deps, step.state, answer.reply, T0 + 50, messageOf);
    expect(done.kind).toBe('answered');
    if (done.kind !== 'answered') return;
    expect(new TextDecoder().decode(done.read[0]?.plaintext)).toBe('a says 0');
    expect(done.effects.map((e) => `${typeOf(e.bytes)}:${to(e)}`)).toEqual(['cancel:b']);
    expect(listUnreadable(done.state, T0 + 60)).toEqual([]);
    // a late answer for the satisfied request is unsolicited
    expect(() => receiveReply(deps, done.state, answer.reply, T0 + 70, messageOf)).toThrow(/unsolicited/);
  });

  it('with no member to ask, marks the messages unreadable: no_candidates', () => {
    const lonely = requesterDeps(w, w.d, { membership: createOracle(w, { epoch1: [w.d] }) });
    const step = requestKeys(lonely, freshRequester(), params, T0);
    expect(step.effects).toEqual([]);
    expect(listUnreadable(step.state, T0 + 5)).toMatchObject([{ reason: 'no_candidates', waitedMs: 5 }]);
  });

  it('a range request is answered with the ratchet from its first generation and checked against held messages', () => {
    const ranged: KeyRequestParams = { ...params, wanted: { kind: 'range', from: 1, to: 3 }, cids: w.fromA.slice(1).map((m) => m.cid), candidates: [w.c.key] };
    // a range request needs the requester's own sender_data_secret to find each message's generation
    const withSds = {
      ...deps,
      epochs: { getEpochView: () => ({ ...w.view1, senderDataSecret: w.dEpoch1.epochSecrets.senderDataSecret }) },
    };
    const step = requestKeys(withSds, freshRequester(), ranged, T0);
    const req = step.effects[0];
    if (!req) throw new Error('nothing sent');
    const answer = answerRequest(answererDeps(w, w.c), freshAnswerer(), req.bytes, T0);
    if (answer.kind !== 'answered') throw new Error('withheld');
    expect(answer.shared).toMatchObject({ fromGeneration: 1, ratchetFrom: 1, senderDataKeys: 0 });
    const done = receiveReply(withSds, step.state, answer.reply, T0 + 1, messageOf);
    if (done.kind !== 'answered') throw new Error('not answered');
    expect(done.read.map((m) => m.generation)).toEqual([1, 2, 3]);
  });
});
