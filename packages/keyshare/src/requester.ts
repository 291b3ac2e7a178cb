// Asking for keys: one open request per (group, epoch, sender, range or message set), sent to one
// candidate device at a time and retried with exponential backoff across the devices that were
// members of that epoch, cancelled once satisfied, expired after a bound. Replies are accepted only
// for our own open requests and only from members of that epoch; an answer is used only if its
// secret really decrypts the messages asked for and their MLS signatures are their senders'.
// Every message still unreadable carries a reason and the time it has waited.
import type { CID } from 'multiformats/cid';
import type { CipherSuite, RandomSource } from '@weft/crypto';
import { decryptWithLabel } from '@weft/crypto';
import { bytesEqual, toHex } from '@weft/codec';
import type { SecretTree } from '@weft/tree';
import { ANSWER_LABEL, answerContext, decodeAnswerSecret, type AnswerSecret } from './answer.ts';
import type { DeviceIdentity } from './deviceIdentity.ts';
import { createAnswerTree, decodeApplicationMessage, readWithAnswer, type EpochView, type ReadMessage } from './decrypt.ts';
import { KeyshareError } from './errors.ts';
import { decodeKeyshareMessage, encodeKeyshareMessage, REQUEST_ID_BYTES, type KeyshareMessage, type MessageRef, type Wanted, type WithheldReason } from './messages.ts';
import type { MembershipOracle } from './policy.ts';

/** Retry and expiry bounds of a requester. */
export interface RequesterOptions {
  /** Wait before the second attempt; doubles each attempt. */
  readonly baseBackoffMs: number;
  readonly maxBackoffMs: number;
  /** A request expires this long after it was opened (must not exceed the answerers' maxLifetimeMs). */
  readonly lifetimeMs: number;
}

/** Defaults: retry after 2 s, 4 s, ... up to 5 min between attempts; give up after 1 h. */
export const defaultRequesterOptions: RequesterOptions = { baseBackoffMs: 2000, maxBackoffMs: 5 * 60_000, lifetimeMs: 3600_000 };

/** Where a requester finds the public view of an epoch (the merge layer implements this). */
export interface EpochViewSource {
  getEpochView(group: CID, epoch: CID): EpochView | null;
}

/** Everything the requester needs besides its state. */
export interface RequesterDeps {
  readonly cs: CipherSuite;
  readonly identity: DeviceIdentity;
  readonly membership: MembershipOracle;
  readonly epochs: EpochViewSource;
  readonly options: RequesterOptions;
  /** Request ids come from here (seeded in the simulator). */
  readonly random: RandomSource;
}

/** One attempt of a request: to whom and when. */
export interface Attempt {
  readonly attempt: number;
  readonly to: Uint8Array;
  readonly at: number;
}

/** A refusal received for an open request. */
export interface WithheldRecord {
  readonly from: Uint8Array;
  readonly reason: WithheldReason;
  readonly at: number;
}

/** A request waiting for an answer. */
export interface OpenRequest {
  readonly key: string;
  readonly id: Uint8Array;
  readonly group: CID;
  readonly epoch: CID;
  readonly sender: number;
  readonly wanted: Wanted;
  /** Messages the answer must decrypt (named messages, or those the caller expects in a range). */
  readonly cids: readonly CID[];
  readonly candidates: readonly Uint8Array[];
  readonly attempts: readonly Attempt[];
  readonly withheld: readonly WithheldRecord[];
  readonly openedAt: number;
  readonly nextAttemptAt: number;
  readonly expiresAt: number;
}

/** Why a message is still unreadable. */
export type UnreadableReason = 'awaiting_answer' | 'withheld' | 'no_candidates' | 'expired';

/** A message that stays unreadable, since when and why. */
export interface UnreadableEntry {
  readonly cid: CID;
  readonly group: CID;
  readonly epoch: CID;
  readonly since: number;
  readonly reason: UnreadableReason;
  /** The last withheld reason received, if any. */
  readonly withheld: WithheldReason | null;
}

/** Where a forwarded key came from. */
export interface ProvenanceRecord {
  readonly group: CID;
  readonly epoch: CID;
  readonly sender: number;
  /** First generation the key decrypts. */
  readonly generation: number;
  /** The answering device's key. */
  readonly answerer: Uint8Array;
  readonly requestId: Uint8Array;
  readonly attempt: number;
  readonly receivedAt: number;
  /** The messages it decrypted. */
  readonly cids: readonly CID[];
}

/** A requester's whole state (immutable; every operation returns a new one). */
export interface RequesterState {
  /** Open requests by key. */
  readonly open: ReadonlyMap<string, OpenRequest>;
  /** Open request key by hex request id. */
  readonly byId: ReadonlyMap<string, string>;
  /** Unreadable messages by CID string. */
  readonly unreadable: ReadonlyMap<string, UnreadableEntry>;
  readonly provenance: readonly ProvenanceRecord[];
}

/** A message to send: store-and-forward to device `to` through any site. */
export interface SendEffect {
  readonly kind: 'send';
  readonly to: Uint8Array;
  readonly bytes: Uint8Array;
}

/** A state and the messages to send. */
export interface RequesterStep {
  readonly state: RequesterState;
  readonly effects: readonly SendEffect[];
}

/** A requester with nothing open. */
export function createRequesterState(): RequesterState {
  return { open: new Map(), byId: new Map(), unreadable: new Map(), provenance: [] };
}

/** What to ask for. */
export interface KeyRequestParams {
  readonly group: CID;
  readonly epoch: CID;
  /** Sender leaf in that epoch (from the messages' DAG authors). */
  readonly sender: number;
  readonly wanted: Wanted;
  /** Devices that may answer (filtered to members of the epoch, other than us), in preference order. */
  readonly candidates: readonly Uint8Array[];
  /** For a range: messages the answer must decrypt (optional). Named messages are always checked. */
  readonly cids?: readonly CID[];
}

/** The key of an open request: (group, epoch, sender, range or sorted message set). */
export function requestKeyOf(p: Pick<KeyRequestParams, 'group' | 'epoch' | 'sender' | 'wanted'>): string {
  const what = p.wanted.kind === 'range' ? `r${p.wanted.from}-${p.wanted.to}` : `m${p.wanted.messages.map((m) => m.cid.toString()).sort().join(',')}`;
  return `${p.group.toString()}/${p.epoch.toString()}/${p.sender}/${what}`;
}

/**
 * Opens a request and sends its first attempt. A request with the same key already open is not
 * duplicated (same state, no effects). With no candidate left, its messages are marked
 * unreadable with no_candidates and nothing is sent.
 */
export function requestKeys(deps: RequesterDeps, state: RequesterState, params: KeyRequestParams, now: number): RequesterStep & { readonly key: string } {
  const key = requestKeyOf(params);
  if (state.open.has(key)) return { state, effects: [], key };
  const me = deps.identity.binding.sigKey;
  const candidates = params.candidates.filter((c) => !bytesEqual(c, me) && deps.membership.wasMemberOfEpoch(params.group, params.epoch, c));
  const cids = params.wanted.kind === 'messages' ? params.wanted.messages.map((m: MessageRef) => m.cid) : (params.cids ?? []);
  const unreadable = new Map(state.unreadable);
  const mark = (reason: UnreadableReason): void => {
    for (const cid of cids) {
      const prev = unreadable.get(cid.toString());
      unreadable.set(cid.toString(), { cid, group: params.group, epoch: params.epoch, since: prev?.since ?? now, reason, withheld: prev?.withheld ?? null });
    }
  };
  const first = candidates[0];
  if (first === undefined) {
    mark('no_candidates');
    return { state: { ...state, unreadable }, effects: [], key };
  }
  mark('awaiting_answer');
  const id = deps.random(REQUEST_ID_BYTES);
  const open: OpenRequest = {
    key,
    id,
    group: params.group,
    epoch: params.epoch,
    sender: params.sender,
    wanted: params.wanted,
    cids,
    candidates,
    attempts: [{ attempt: 0, to: first, at: now }],
    withheld: [],
    openedAt: now,
    nextAttemptAt: now + deps.options.baseBackoffMs,
    expiresAt: now + deps.options.lifetimeMs,
  };
  const openMap = new Map(state.open).set(key, open);
  const byId = new Map(state.byId).set(toHex(id), key);
  return { state: { ...state, open: openMap, byId, unreadable }, effects: [sendAttempt(deps, open, 0, first)], key };
}

function sendAttempt(deps: RequesterDeps, open: OpenRequest, attempt: number, to: Uint8Array): SendEffect {
  const bytes = encodeKeyshareMessage(deps.cs, deps.identity.signaturePrivateKey, {
    type: 'request',
    from: deps.identity.binding.sigKey,
    to,
    group: open.group,
    epoch: open.epoch,
    id: open.id,
    attempt,
    sender: open.sender,
    wanted: open.wanted,
    expires: open.expiresAt,
    binding: deps.identity.binding.bytes,
  });
  return { kind: 'send', to, bytes };
}

function cancelEffects(deps: RequesterDeps, open: OpenRequest, except: Uint8Array | null): SendEffect[] {
  const seen = new Set<string>();
  const out: SendEffect[] = [];
  for (const a of open.attempts) {
    const hex = toHex(a.to);
    if (seen.has(hex) || (except && bytesEqual(a.to, except))) continue;
    seen.add(hex);
    const m: KeyshareMessage = { type: 'cancel', from: deps.identity.binding.sigKey, to: a.to, group: open.group, epoch: open.epoch, id: open.id };
    out.push({ kind: 'send', to: a.to, bytes: encodeKeyshareMessage(deps.cs, deps.identity.signaturePrivateKey, m) });
  }
  return out;
}

/**
 * Advances time: expires requests past their bound (their messages become unreadable with
 * reason expired, every device asked gets a cancel) and retries those whose backoff has elapsed
 * with the next candidate in turn.
 */
export function tickRequester(deps: RequesterDeps, state: RequesterState, now: number): RequesterStep {
  let open: Map<string, OpenRequest> | null = null;
  let byId: Map<string, string> | null = null;
  let unreadable: Map<string, UnreadableEntry> | null = null;
  const effects: SendEffect[] = [];
  for (const [key, req] of state.open) {
    if (now >= req.expiresAt) {
      open ??= new Map(state.open);
      byId ??= new Map(state.byId);
      unreadable ??= new Map(state.unreadable);
      open.delete(key);
      byId.delete(toHex(req.id));
      for (const cid of req.cids) {
        const prev = unreadable.get(cid.toString());
        if (prev) unreadable.set(cid.toString(), { ...prev, reason: 'expired' });
      }
      effects.push(...cancelEffects(deps, req, null));
    } else if (now >= req.nextAttemptAt) {
      const attempt = req.attempts.length;
      const to = req.candidates[attempt % req.candidates.length] as Uint8Array;
      const backoff = Math.min(deps.options.maxBackoffMs, deps.options.baseBackoffMs * 2 ** Math.min(attempt, 30));
      const next: OpenRequest = { ...req, attempts: [...req.attempts, { attempt, to, at: now }], nextAttemptAt: now + backoff };
      open ??= new Map(state.open);
      open.set(key, next);
      effects.push(sendAttempt(deps, next, attempt, to));
    }
  }
  if (!open) return { state, effects };
  return { state: { ...state, open, byId: byId ?? state.byId, unreadable: unreadable ?? state.unreadable }, effects };
}

/**
 * Withdraws an open request: every device asked gets a cancel. When `satisfied` (its messages were
 * read another way) they leave the unreadable list; otherwise they stay there with their last
 * reason (given up after every candidate refused). An unknown key changes nothing.
 */
export function cancelRequest(deps: RequesterDeps, state: RequesterState, key: string, satisfied: boolean): RequesterStep {
  const req = state.open.get(key);
  if (req === undefined) return { state, effects: [] };
  const open = new Map(state.open);
  open.delete(key);
  const byId = new Map(state.byId);
  byId.delete(toHex(req.id));
  let unreadable = state.unreadable;
  if (satisfied) {
    const next = new Map(state.unreadable);
    for (const cid of req.cids) next.delete(cid.toString());
    unreadable = next;
  }
  return { state: { ...state, open, byId, unreadable }, effects: cancelEffects(deps, req, null) };
}

/** The result of an accepted reply. */
export type ReplyOutcome =
  | {
      readonly kind: 'answered';
      readonly state: RequesterState;
      readonly effects: readonly SendEffect[];
      /** The messages decrypted and authenticated with the forwarded key. */
      readonly read: readonly ReadMessage[];
      /** A view holding only the forwarded ratchet (with the used keys removed), for messages still to come. */
      readonly tree: SecretTree;
      readonly provenance: ProvenanceRecord;
    }
  | { readonly kind: 'withheld'; readonly state: RequesterState; readonly effects: readonly SendEffect[]; readonly reason: WithheldReason };

/**
 * Accepts an answer or withheld reply. Throws KeyshareError and keeps the state for: malformed or
 * forged input, wrong_recipient, unsolicited (no such open request or attempt), answer_from_non_member,
 * unknown_epoch, decrypt_failed (the HPKE layer does not open) and key_mismatch (the secret does not
 * decrypt a message asked for). `messageOf` returns the MLSMessage bytes the requester holds.
 */
export function receiveReply(
  deps: RequesterDeps,
  state: RequesterState,
  bytes: Uint8Array,
  now: number,
  messageOf: (cid: CID) => Uint8Array | null,
): ReplyOutcome {
  const { cs } = deps;
  const me = deps.identity.binding.sigKey;
  const { message } = decodeKeyshareMessage(cs, bytes);
  if (message.type !== 'answer' && message.type !== 'withheld') throw new KeyshareError('malformed', `expected an answer or withheld, got a ${message.type}`);
  if (!bytesEqual(message.to, me)) throw new KeyshareError('wrong_recipient', 'the reply is addressed to another device');
  const key = state.byId.get(toHex(message.id));
  const req = key === undefined ? undefined : state.open.get(key);
  const asked = req?.attempts[message.attempt];
  if (req === undefined || asked === undefined || !req.group.equals(message.group) || !req.epoch.equals(message.epoch)) {
    throw new KeyshareError('unsolicited', 'no open request of ours matches this reply');
  }
  if (!deps.membership.wasMemberOfEpoch(req.group, req.epoch, message.from)) {
    throw new KeyshareError('answer_from_non_member', 'the replying device was not a member of that epoch');
  }
  // Only the device that attempt was sent to can reply to it (a request names its answerer).
  if (!bytesEqual(asked.to, message.from)) throw new KeyshareError('unsolicited', 'that attempt was sent to another device');

  if (message.type === 'withheld') {
    const withheld = [...req.withheld, { from: message.from, reason: message.reason, at: now }];
    const last = req.attempts[req.attempts.length - 1];
    // The device we are waiting on refused: try the next one at the next tick.
    const nextAttemptAt = last && bytesEqual(last.to, message.from) ? now : req.nextAttemptAt;
    const open = new Map(state.open).set(req.key, { ...req, withheld, nextAttemptAt });
    const unreadable = new Map(state.unreadable);
    for (const cid of req.cids) {
      const prev = unreadable.get(cid.toString());
      if (prev) unreadable.set(cid.toString(), { ...prev, reason: 'withheld', withheld: message.reason });
    }
    return { kind: 'withheld', state: { ...state, open, unreadable }, effects: [], reason: message.reason };
  }

  if (message.sender !== req.sender) throw new KeyshareError('unsolicited', 'the answer is for another sender');
  const view = deps.epochs.getEpochView(req.group, req.epoch);
  if (view === null) throw new KeyshareError('unknown_epoch', 'the public view of that epoch is not known here');
  let secret: AnswerSecret;
  try {
    const context = answerContext({ id: req.id, attempt: message.attempt, group: req.group, epoch: req.epoch, sender: req.sender, from: me }, message.from);
    secret = decodeAnswerSecret(cs, decryptWithLabel(cs, deps.identity.hpkePrivateKey, ANSWER_LABEL, context, message.kemOutput, message.ciphertext));
  } catch (err) {
    if (err instanceof KeyshareError) throw err;
    throw new KeyshareError('decrypt_failed', 'the answer does not open with our device key for this request');
  }
  let tree: SecretTree;
  try {
    tree = createAnswerTree(view, req.sender, secret);
  } catch (err) {
    throw new KeyshareError('key_mismatch', `the answer does not fit that epoch: ${err instanceof Error ? err.message : String(err)}`);
  }
  const read: ReadMessage[] = [];
  for (const cid of req.cids) {
    const held = messageOf(cid);
    if (held === null) continue; // not held any more: nothing to check it against
    const out = readWithAnswer(cs, view, tree, req.sender, secret, cid, decodeApplicationMessage(held));
    tree = out.tree;
    read.push(out.message);
  }
  if (req.cids.length > 0 && read.length === 0) throw new KeyshareError('key_mismatch', 'none of the requested messages is held to check the answer against');

  const provenance: ProvenanceRecord = {
    group: req.group,
    epoch: req.epoch,
    sender: req.sender,
    generation: secret.generation,
    answerer: message.from,
    requestId: req.id,
    attempt: message.attempt,
    receivedAt: now,
    cids: read.map((m) => m.cid),
  };
  const open = new Map(state.open);
  open.delete(req.key);
  const byId = new Map(state.byId);
  byId.delete(toHex(req.id));
  const unreadable = new Map(state.unreadable);
  for (const m of read) unreadable.delete(m.cid.toString());
  return {
    kind: 'answered',
    state: { open, byId, unreadable, provenance: [...state.provenance, provenance] },
    effects: cancelEffects(deps, req, message.from),
    read,
    tree,
    provenance,
  };
}

/** A message still unreadable, with its reason and how long it has waited. */
export interface UnreadableReport {
  readonly cid: CID;
  readonly group: CID;
  readonly epoch: CID;
  readonly reason: UnreadableReason;
  readonly withheld: WithheldReason | null;
  readonly waitedMs: number;
}

/** Lists every unreadable message with its reason and waited time at `now`. */
export function listUnreadable(state: RequesterState, now: number): UnreadableReport[] {
  return [...state.unreadable.values()].map((u) => ({ cid: u.cid, group: u.group, epoch: u.epoch, reason: u.reason, withheld: u.withheld, waitedMs: now - u.since }));
}
