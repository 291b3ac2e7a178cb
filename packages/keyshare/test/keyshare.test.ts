// Keyshare end to end with a real MLS group: d joined after epoch 1 and asks for the keys of a's
// epoch-1 messages; every refusal of DESIGN.md section 7 gives its reason and changes no state.
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '@weft/codec';
import { CID } from 'multiformats/cid';
import * as dagCbor from '@ipld/dag-cbor';
import { consumeKey, createSecretTree as createSecretTreeFrom, decryptSenderData, exportSenderRatchet, leafIndex } from '@weft/tree';
import {
  KeyshareError,
  answerRequest,
  applyCancel,
  createAnswerTree,
  createMessageRef,
  decodeAnswerSecret,
  decodeApplicationMessage,
  decodeKeyshareMessage,
  encodeKeyshareMessage,
  listUnreadable,
  readWithAnswer,
  receiveReply,
  requestKeys,
  tickRequester,
  ANSWER_LABEL,
  answerContext,
  type AnswererState,
  type KeyshareErrorCode,
  type KeyshareRequest,
  type RequesterState,
} from '../src/index.ts';
import { decryptWithLabel } from '@weft/crypto';
import {
  answererDeps,
  buildWorld,
  createOracle,
  cs,
  epochKeysOf,
  freshAnswerer,
  freshRequester,
  requesterDeps,
  snapshot,
  trustOf,
  type HeldMessage,
  type World,
} from './fixture.ts';

const w: World = buildWorld();
const T0 = 1_000_000;
const messageOf = (cid: CID): Uint8Array | null => w.messages.get(cid.toString()) ?? null;
const refs = (msgs: readonly HeldMessage[]) => msgs.map((m) => createMessageRef(cs, m.cid, m.bytes));


function refusal(f: () => unknown): KeyshareErrorCode {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(KeyshareError);
    return (err as KeyshareError).code;
  }
  throw new Error('expected a refusal');
}

/** d opens a request for a's messages addressed to `to` (default c); returns its bytes and d's state. */
function dAsks(msgs: readonly HeldMessage[] = w.fromA.slice(1, 3), candidates = [w.c.key]): { bytes: Uint8Array; state: RequesterState } {
  const step = requestKeys(requesterDeps(w, w.d), freshRequester(), { group: w.group, epoch: w.epoch1, sender: 0, wanted: { kind: 'messages', messages: refs(msgs) }, candidates }, T0);
  const first = step.effects[0];
  if (!first) throw new Error('no request sent');
  return { bytes: first.bytes, state: step.state };
}

/** `bytes` with one bit flipped in the last byte of the signature (`sig`, located by decoding, not by a guessed offset). */
function flipSignature(bytes: Uint8Array): Uint8Array {
  const sig = (dagCbor.decode(bytes) as Record<string, unknown>)['sig'];
  if (!(sig instanceof Uint8Array)) throw new Error('no signature');
  const at = Buffer.from(bytes).indexOf(Buffer.from(sig));
  if (at < 0) throw new Error('signature not found in the bytes');
  const out = bytes.slice();
  out[at + sig.length - 1] = (out[at + sig.length - 1] as number) ^ 1;
  return out;
}

/** `bytes` with one bit flipped near the end, which canonical key order puts in the `group` CID: signed content changed. */
function flipContent(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  out[out.length - 5] = (out[out.length - 5] as number) ^ 1;
  return out;
}

/** A request signed by `from` with chosen fields (for refusals the requester API would never produce). */
function craftRequest(from = w.d, to = w.c, patch: Partial<KeyshareRequest> = {}): Uint8Array {
  const req: KeyshareRequest = {
    type: 'request',
    from: from.key,
    to: to.key,
    group: w.group,
    epoch: w.epoch1,
    id: new Uint8Array(16).fill(9),
    attempt: 0,
    sender: 0,
    wanted: { kind: 'range', from: 0, to: 3 },
    expires: T0 + 60_000,
    binding: from.identity.binding.bytes,
    ...patch,
  };
  return encodeKeyshareMessage(cs, from.identity.signaturePrivateKey, req);
}

describe('happy path', () => {
  it('a member of the epoch holding none of its keys (its Welcome came late) gets, decrypts and authenticates real PrivateMessages; provenance is recorded', () => {
    const { bytes, state } = dAsks();
    expect(listUnreadable(state, T0 + 500).map((u) => [u.reason, u.waitedMs])).toEqual([
      ['awaiting_answer', 500],
      ['awaiting_answer', 500],
    ]);
    const out = answerRequest(answererDeps(w, w.c), freshAnswerer(), bytes, T0 + 1000);
    expect(out.kind).toBe('answered');
    if (out.kind !== 'answered') return;
    // Only generations 1 and 2 of leaf 0 were needed: the ratchet from 1, no retained keys.
    expect(out.shared).toEqual({ sender: 0, fromGeneration: 1, ratchetFrom: 1, keyGenerations: [], senderDataKeys: 2 });
    const reply = receiveReply(requesterDeps(w, w.d), state, out.reply, T0 + 2000, messageOf);
    expect(reply.kind).toBe('answered');
    if (reply.kind !== 'answered') return;
    expect(reply.read.map((m) => [m.sender, m.generation, new TextDecoder().decode(m.plaintext)])).toEqual([
      [0, 1, 'a says 1'],
      [0, 2, 'a says 2'],
    ]);
    expect(reply.provenance).toMatchObject({ sender: 0, generation: 1, attempt: 0, receivedAt: T0 + 2000 });
    expect(toHex(reply.provenance.answerer)).toBe(toHex(w.c.key));
    expect(reply.state.provenance).toHaveLength(1);
    expect(reply.state.open.size).toBe(0);
    expect(listUnreadable(reply.state, T0 + 2000)).toEqual([]);
    expect(reply.effects).toEqual([]); // only c was asked, and c answered
  });

  it('the inner MLS signature is checked: content re-signed by another member is refused as forged', () => {
    const msg = w.fromA[1] as HeldMessage;
    const { bytes } = dAsks([msg]);
    const out = answerRequest(answererDeps(w, w.c), freshAnswerer(), bytes, T0);
    if (out.kind !== 'answered') throw new Error('withheld');
    const decoded = decodeKeyshareMessage(cs, out.reply).message;
    if (decoded.type !== 'answer') throw new Error('not an answer');
    const req = decodeKeyshareMessage(cs, bytes).message as KeyshareRequest;
    const secret = decodeAnswerSecret(
      cs,
      decryptWithLabel(cs, w.d.identity.hpkePrivateKey, ANSWER_LABEL, answerContext(req, w.c.key), decoded.kemOutput, decoded.ciphertext),
    );
    const tree = createAnswerTree(w.view1, 0, secret);
    const ok = readWithAnswer(cs, w.view1, tree, 0, secret, msg.cid, decodeApplicationMessage(msg.bytes));
    expect(new TextDecoder().decode(ok.message.plaintext)).toBe('a says 1');
    // The same ciphertext checked against a view in which leaf 0 has b's signature key.
    const lying = { ...w.view1, signatureKeyOf: (leaf: number) => w.view1.signatureKeyOf(leaf === 0 ? 1 : leaf) };
    expect(refusal(() => readWithAnswer(cs, lying, tree, 0, secret, msg.cid, decodeApplicationMessage(msg.bytes)))).toBe('forged');
  });
});

describe('the answer carries the narrowest secret', () => {
  function secretFor(msgs: readonly HeldMessage[], keys = epochKeysOf(w.cEpoch1)) {
    const { bytes } = dAsks(msgs);
    const out = answerRequest(answererDeps(w, w.c, { keys }), freshAnswerer(), bytes, T0);
    if (out.kind !== 'answered') throw new Error(`withheld ${out.reason}`);
    const m = decodeKeyshareMessage(cs, out.reply).message;
    if (m.type !== 'answer') throw new Error('not an answer');
    const req = decodeKeyshareMessage(cs, bytes).message as KeyshareRequest;
    return decodeAnswerSecret(cs, decryptWithLabel(cs, w.d.identity.hpkePrivateKey, ANSWER_LABEL, answerContext(req, w.c.key), m.kemOutput, m.ciphertext));
  }

  it("decrypts that sender's needed generation and later ones, never another sender's or an earlier generation", () => {
    const secret = secretFor([w.fromA[2] as HeldMessage]);
    expect(secret.generation).toBe(2);
    expect(secret.senderDataKeys).toHaveLength(1);
    const tree = createAnswerTree(w.view1, 0, secret);
    // a later generation of that sender decrypts (with its sender data opened by our view's secret)
    const withSds = { ...w.view1, senderDataSecret: w.cEpoch1.epochSecrets.senderDataSecret };
    const later = w.fromA[3] as HeldMessage;
    expect(readWithAnswer(cs, withSds, tree, 0, secret, later.cid, decodeApplicationMessage(later.bytes)).message.generation).toBe(3);
    // an earlier generation of that sender does not
    const earlier = w.fromA[1] as HeldMessage;
    expect(refusal(() => readWithAnswer(cs, withSds, tree, 0, secret, earlier.cid, decodeApplicationMessage(earlier.bytes)))).toBe('key_mismatch');
    // another sender's message does not, even with its sender data readable
    const bMsg = w.fromB[0] as HeldMessage;
    expect(refusal(() => readWithAnswer(cs, withSds, tree, 1, secret, bMsg.cid, decodeApplicationMessage(bMsg.bytes)))).toBe('key_mismatch');
    expect(refusal(() => readWithAnswer(cs, withSds, tree, 0, secret, bMsg.cid, decodeApplicationMessage(bMsg.bytes)))).toBe('key_mismatch');
    // and without the requester's own sender_data_secret only the named message's sender data opens
    expect(refusal(() => readWithAnswer(cs, w.view1, tree, 0, secret, later.cid, decodeApplicationMessage(later.bytes)))).toBe('key_mismatch');
    // the secret is the ratchet secret of generation 2 of leaf 0, not a tree, leaf or epoch secret
    const expected = exportSenderRatchet(cs, w.cEpoch1.secretTree, leafIndex(0), 'application', 2);
    expect(toHex(secret.secret)).toBe(toHex(expected.secret));
    for (const s of Object.values(w.cEpoch1.epochSecrets)) expect(toHex(secret.secret)).not.toBe(toHex(s));
  });

  it('an answerer whose ratchet has moved past the needed generations sends only their retained keys, no ratchet secret', () => {
    // c read a's generation 3 first, so generations 0..2 are retained skipped keys.
    const after = readAll(w.cEpoch1, [w.fromA[3] as HeldMessage]);
    const secret = secretFor([w.fromA[1] as HeldMessage], after);
    expect(secret.secret).toHaveLength(0);
    expect(secret.keys.map((k) => k.generation)).toEqual([1]);
    const tree = createAnswerTree(w.view1, 0, secret);
    const withSds = { ...w.view1, senderDataSecret: w.cEpoch1.epochSecrets.senderDataSecret };
    const m1 = w.fromA[1] as HeldMessage;
    expect(readWithAnswer(cs, withSds, tree, 0, secret, m1.cid, decodeApplicationMessage(m1.bytes)).message.generation).toBe(1);
    for (const other of [w.fromA[0], w.fromA[2], w.fromA[3]] as HeldMessage[]) {
      expect(refusal(() => readWithAnswer(cs, withSds, tree, 0, secret, other.cid, decodeApplicationMessage(other.bytes)))).toBe('key_mismatch');
    }
  });

  /** c's epoch keys after reading `msgs` (their keys consumed, earlier ones kept as skipped). */
  function readAll(state: typeof w.cEpoch1, msgs: readonly HeldMessage[]) {
    let tree = state.secretTree;
    for (const m of msgs) {
      const sd = decryptSenderData(cs, state.epochSecrets.senderDataSecret, decodeApplicationMessage(m.bytes));
      tree = consumeKey(cs, tree, leafIndex(sd.leafIndex), 'application', sd.generation).tree;
    }
    return { ...epochKeysOf(state), secretTree: tree };
  }
});

describe('the answerer refuses, each with its reason, and its state does not change', () => {
  /** Runs one request against `state` and checks the state was not changed. */
  function withheldOf(deps: ReturnType<typeof answererDeps>, bytes: Uint8Array, state: AnswererState = freshAnswerer(), now = T0) {
    const before = snapshot(state);
    const out = answerRequest(deps, state, bytes, now);
    expect(snapshot(out.state)).toBe(before);
    expect(snapshot(state)).toBe(before);
    if (out.kind !== 'withheld') throw new Error('expected withheld');
    const reply = decodeKeyshareMessage(cs, out.reply).message;
    expect(reply.type).toBe('withheld');
    if (reply.type === 'withheld') expect(reply.reason).toBe(out.reason);
    return [out.reason, out.code];
  }
  function thrownOf(deps: ReturnType<typeof answererDeps>, bytes: Uint8Array, state: AnswererState, now = T0): KeyshareErrorCode {
    const before = snapshot(state);
    const code = refusal(() => answerRequest(deps, state, bytes, now));
    expect(snapshot(state)).toBe(before);
    return code;
  }

  it('a request with a forged signature', () => {
    const bytes = craftRequest();
    expect(answerRequest(answererDeps(w, w.c), freshAnswerer(), bytes, T0).kind).toBe('answered'); // the untouched request is answered
    expect(thrownOf(answererDeps(w, w.c), flipSignature(bytes), freshAnswerer())).toBe('forged');
    // the signature kept, the signed content changed (its group CID)
    expect(thrownOf(answererDeps(w, w.c), flipContent(bytes), freshAnswerer())).toBe('forged');
    // signed by y but claiming to come from d
    const claims = encodeKeyshareMessage(cs, w.y.identity.signaturePrivateKey, { ...(decodeKeyshareMessage(cs, bytes).message as KeyshareRequest) });
    expect(thrownOf(answererDeps(w, w.c), claims, freshAnswerer())).toBe('forged');
    // signed by d but carrying y's device binding (another HPKE key)
    expect(thrownOf(answererDeps(w, w.c), craftRequest(w.d, w.c, { binding: w.y.identity.binding.bytes }), freshAnswerer())).toBe('forged');
  });

  it('a replayed request (the same attempt again), and any attempt of a cancelled one', () => {
    const { bytes } = dAsks();
    const first = answerRequest(answererDeps(w, w.c), freshAnswerer(), bytes, T0);
    expect(first.kind).toBe('answered');
    expect(thrownOf(answererDeps(w, w.c), bytes, first.state, T0 + 10)).toBe('replayed');
    const req = decodeKeyshareMessage(cs, bytes).message as KeyshareRequest;
    const cancel = encodeKeyshareMessage(cs, w.d.identity.signaturePrivateKey, { type: 'cancel', from: w.d.key, to: w.c.key, group: w.group, epoch: w.epoch1, id: req.id });
    const cancelled = applyCancel(answererDeps(w, w.c), freshAnswerer(), cancel, T0);
    expect(thrownOf(answererDeps(w, w.c), craftRequest(w.d, w.c, { id: req.id, attempt: 3 }), cancelled)).toBe('replayed');
  });

  it('an expired request, one addressed to another device, and one claiming too long a life', () => {
    expect(thrownOf(answererDeps(w, w.c), craftRequest(), freshAnswerer(), T0 + 60_001)).toBe('expired');
    expect(thrownOf(answererDeps(w, w.b), craftRequest(), freshAnswerer())).toBe('wrong_recipient');
    expect(thrownOf(answererDeps(w, w.c), craftRequest(w.d, w.c, { expires: T0 + 10 * 24 * 3600_000 }), freshAnswerer())).toBe('malformed');
  });

  it('from a device that was not a member of that epoch (joined later)', () => {
    expect(withheldOf(answererDeps(w, w.c), craftRequest(w.x))).toEqual(['not_a_member', 'not_a_member']);
    expect(withheldOf(answererDeps(w, w.c), craftRequest(w.y))).toEqual(['not_a_member', 'not_a_member']);
  });

  it('from a removed member (not in the canonical head), unless the history policy lets past members ask', () => {
    const removed = createOracle(w, { head: [w.a, w.b, w.c, w.x] });
    expect(withheldOf(answererDeps(w, w.c, { membership: removed }), craftRequest())).toEqual(['not_a_member', 'removed']);
    const out = answerRequest(answererDeps(w, w.c, { membership: removed, policy: { historyPolicy: () => 'past_members' } }), freshAnswerer(), craftRequest(), T0);
    expect(out.kind).toBe('answered');
  });

  it('from an untrusted device (unless policy trusts members of the epoch)', () => {
    expect(withheldOf(answererDeps(w, w.c, { trust: trustOf(w.a) }), craftRequest())).toEqual(['untrusted', 'untrusted']);
    expect(answerRequest(answererDeps(w, w.c, { trust: trustOf(), policy: { trustMembers: true } }), freshAnswerer(), craftRequest(), T0).kind).toBe('answered');
    // trusting members never trusts a non-member
    expect(withheldOf(answererDeps(w, w.c, { trust: trustOf(), policy: { trustMembers: true } }), craftRequest(w.y))).toEqual(['untrusted', 'untrusted']);
  });

  it('over the per-requester and the overall rate limit; tokens come back with time', () => {
    const deps = answererDeps(w, w.c, { policy: { perRequester: { capacity: 2, perSecond: 1 }, overall: { capacity: 3, perSecond: 0.5 } } });
    let state = freshAnswerer();
    for (const attempt of [0, 1]) {
      const out = answerRequest(deps, state, craftRequest(w.d, w.c, { attempt }), T0);
      expect(out.kind).toBe('answered');
      state = out.state;
    }
    expect(withheldOf(deps, craftRequest(w.d, w.c, { attempt: 2 }), state)).toEqual(['rate_limited', 'rate_limited']);
    const fromB = answerRequest(deps, state, craftRequest(w.b, w.c, { attempt: 0 }), T0);
    expect(fromB.kind).toBe('answered');
    state = fromB.state;
    expect(withheldOf(deps, craftRequest(w.a, w.c, { attempt: 0 }), state)).toEqual(['rate_limited', 'rate_limited']); // overall
    expect(answerRequest(deps, state, craftRequest(w.d, w.c, { attempt: 2 }), T0 + 2000).kind).toBe('answered');
  });

  it('for an epoch the answerer evicted, or never held, or keys it no longer has: withheld unavailable', () => {
    expect(withheldOf(answererDeps(w, w.c, { keys: 'evicted' }), craftRequest())).toEqual(['unavailable', 'unavailable']);
    expect(withheldOf(answererDeps(w, w.c, { keys: null }), craftRequest())).toEqual(['unavailable', 'unavailable']);
    // a's own keys 0..3 were used when it sent them: a cannot share them
    expect(withheldOf(answererDeps(w, w.a, { keys: { ...epochKeysOf(w.cEpoch1), secretTree: w.aRetired.secretTree } }), craftRequest(w.d, w.a, { wanted: { kind: 'messages', messages: refs(w.fromA.slice(0, 2)) } }))).toEqual([
      'unavailable',
      'unavailable',
    ]);
    // named messages that are not from the named sender
    expect(withheldOf(answererDeps(w, w.c), craftRequest(w.d, w.c, { sender: 2, wanted: { kind: 'messages', messages: refs(w.fromA.slice(0, 1)) } }))).toEqual(['unavailable', 'unavailable']);
  });

  it('when keyshare is disabled for the group', () => {
    expect(withheldOf(answererDeps(w, w.c, { policy: { isEnabled: () => false } }), craftRequest())).toEqual(['disabled', 'disabled']);
  });
});

describe('the requester refuses, each with its reason, and its state does not change', () => {
  function refusedReply(state: RequesterState, reply: Uint8Array, deps = requesterDeps(w, w.d)): KeyshareErrorCode {
    const before = snapshot(state);
    const code = refusal(() => receiveReply(deps, state, reply, T0 + 100, messageOf));
    expect(snapshot(state)).toBe(before);
    return code;
  }

  it('an answer nobody asked for (no open request; an attempt never sent; a member that was not asked)', () => {
    const { bytes } = dAsks();
    const answer = answerRequest(answererDeps(w, w.c), freshAnswerer(), bytes, T0);
    expect(refusedReply(freshRequester(), answer.reply)).toBe('unsolicited');
    // d's own request, answered for an attempt d never sent
    const { state } = dAsks();
    const req = decodeKeyshareMessage(cs, bytes).message as KeyshareRequest;
    const later = answerRequest(answererDeps(w, w.c), freshAnswerer(), craftRequest(w.d, w.c, { id: req.id, attempt: 5, wanted: req.wanted }), T0);
    expect(refusedReply(state, later.reply)).toBe('unsolicited');
    // a member that was not asked (attempt 0 went to c) answering attempt 0
    const fromB = answerRequest(answererDeps(w, w.b), freshAnswerer(), craftRequest(w.d, w.b, { id: req.id, attempt: 0, wanted: req.wanted }), T0);
    expect(fromB.kind).toBe('answered');
    expect(refusedReply(state, fromB.reply)).toBe('unsolicited');
  });

  it('an answer from a device that was not a member of that epoch', () => {
    const { bytes, state } = dAsks();
    const req = decodeKeyshareMessage(cs, bytes).message as KeyshareRequest;
    // x holds (stolen or leaked) epoch-1 keys and its own oracle lets it answer; d's oracle knows better.
    const xDeps = answererDeps(w, w.x);
    const fromX = answerRequest(xDeps, freshAnswerer(), craftRequest(w.d, w.x, { id: req.id, wanted: req.wanted }), T0);
    expect(fromX.kind).toBe('answered');
    expect(refusedReply(state, fromX.reply)).toBe('answer_from_non_member');
  });

  it('an answer whose secret does not decrypt the message', () => {
    const { bytes, state } = dAsks();
    const wrongTree = { ...epochKeysOf(w.cEpoch1), secretTree: createSecretTreeLike() };
    const bad = answerRequest(answererDeps(w, w.c, { keys: wrongTree }), freshAnswerer(), bytes, T0);
    expect(bad.kind).toBe('answered');
    expect(refusedReply(state, bad.reply)).toBe('key_mismatch');
  });

  it('a forged answer, one addressed to someone else, and one that is a request', () => {
    const { bytes, state } = dAsks();
    const good = answerRequest(answererDeps(w, w.c), freshAnswerer(), bytes, T0).reply;
    expect(refusedReply(state, flipSignature(good))).toBe('forged');
    expect(refusedReply(state, flipContent(good))).toBe('forged');
    expect(receiveReply(requesterDeps(w, w.d), state, good, T0 + 100, messageOf).kind).toBe('answered'); // the untouched answer is accepted
    expect(refusedReply(state, bytes)).toBe('malformed');
    expect(refusedReply(state, good, requesterDeps(w, w.b))).toBe('wrong_recipient');
  });
});

function createSecretTreeLike() {
  // A secret tree of the right shape from another encryption_secret: its keys open nothing here.
  return createSecretTreeFrom(new Uint8Array(32).fill(3), w.view1.leafCount);
}
