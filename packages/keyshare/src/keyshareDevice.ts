// A device runtime with keyshare: a @weft/merge device underneath, and above it the asking and
// answering of DESIGN.md section 7. After every call it looks at the messages the merge device
// cannot read in any world; one that stays unreadable for `askAfterMs`, in an epoch this device was
// a member of (public DAG), is asked for automatically: one request per (epoch, sender, message
// set), retried with backoff across the other members of that epoch, cancelled when satisfied,
// given up when every candidate refused for a lasting reason, expired after a bound, and asked
// again at most `maxRounds` times. Recovered plaintexts stay in this layer, with their provenance,
// and are overlaid on the merge device's view; merge state is never written.
import type { CID } from 'multiformats/cid';
import { getCipherSuite, type CipherSuite, type RandomSource } from '@weft/crypto';
import { bytesEqual, toHex } from '@weft/codec';
import { cidFromKey, cidKey, parseCid } from '@weft/dag';
import { createDevice, type DeviceMessage, type DeviceOptions, type DeviceRuntime, type DeviceView, type Effects, type MergeDevice, type MessageView, type PublicEpoch } from '@weft/merge';
import { answerRequest, applyCancel, type AnswererDeps } from './answer.ts';
import { decodeCborMap } from './cbor.ts';
import { createMessageRef } from './decrypt.ts';
import { createDeviceIdentity, type DeviceIdentity } from './deviceIdentity.ts';
import { isKeyshareError } from './errors.ts';
import { MAX_MESSAGE_BYTES, MAX_REQUESTED_MESSAGES, type MessageRef, type WithheldReason } from './messages.ts';
import { createMergeKeySource, createMergeMembership, createMergeViewSource, findLeafOfKey } from './mergeSources.ts';
import { createAnswererState, createDefaultPolicy, pruneAnswererState, type AnswererState, type KeysharePolicy, type MembershipOracle } from './policy.ts';
import {
  cancelRequest,
  createRequesterState,
  defaultRequesterOptions,
  receiveReply,
  requestKeys,
  tickRequester,
  type RequesterDeps,
  type RequesterOptions,
  type RequesterState,
  type SendEffect,
} from './requester.ts';
import type { TrustView } from './trustStore.ts';
import type { KeyshareDeviceState, MessageTrackRecord } from './deviceState.ts';

/** Options of a keyshare device. */
export interface KeyshareDeviceOptions {
  /** Options of the merge device underneath (its signature key is drawn here and shared with the binding). */
  readonly device: DeviceOptions;
  /** Which requesters this device trusts (own and verified devices). */
  readonly trust: TrustView;
  readonly policy?: KeysharePolicy;
  readonly requester?: Partial<RequesterOptions>;
  /** Ask for a message only once it has stayed unreadable this long: its world may still come (default 500 ms). */
  readonly askAfterMs?: number;
  /** Rounds of asking per message; a round ends when answered, expired, or refused by every candidate (default 3). */
  readonly maxRounds?: number;
  /** Wait between rounds (default 10 s). */
  readonly reaskAfterMs?: number;
  /** Whether unreadable messages are asked for automatically (default true). */
  readonly autoAsk?: boolean;
  /** Creation time of the device binding (ms). */
  readonly created?: number;
  /**
   * Randomness of the keyshare layer (HPKE key, request ids, HPKE seals); default the device's.
   * A separate stream keeps the merge device's draws, and so its events, what they would be without keyshare.
   */
  readonly random?: RandomSource;
  /**
   * State saved by an earlier run of this device (`loadKeyshareDeviceState`): open requests,
   * provenance, rate buckets, replay guard, per-message asking state, recovered messages, HPKE key.
   */
  readonly state?: KeyshareDeviceState;
  /** Builds the merge device (default @weft/merge createDevice). */
  readonly createMergeDevice?: (options: DeviceOptions) => MergeDevice;
}

/** A message read with a forwarded key, and where the key came from. */
export interface RecoveredMessage {
  readonly cid: string;
  readonly epoch: string;
  readonly text: string;
  /** Identity of the real sender (authenticated by the MLS signature inside the message). */
  readonly sender: string;
  /** Hex device key of the answering device, and its identity in that epoch. */
  readonly answerer: string;
  readonly answererId: string;
  readonly requestId: string;
  /** When this device first held the message unreadable, and when it read it. */
  readonly since: number;
  readonly at: number;
}

/** Something keyshare did or refused on this device (for tests and reports). */
export interface KeyshareLogEntry {
  readonly at: number;
  readonly kind: 'answered' | 'withheld' | 'reply_answered' | 'reply_withheld' | 'refused' | 'gave_up' | 'cancelled';
  /** Hex device key of the other device, when there is one. */
  readonly peer: string | null;
  readonly epoch: string | null;
  /** Withheld reason, refusal code or local policy code. */
  readonly reason?: string;
  readonly cids?: readonly string[];
}

/** A message still unreadable on this device, with why and how long it has waited. */
export interface UnreadableMessage {
  readonly cid: string;
  readonly epoch: string;
  /** Keyshare state (`awaiting_answer`, `withheld:<why>`, `expired`, `no_candidates`, `waiting`) or the merge reason when not asked. */
  readonly reason: string;
  /** Why the merge device cannot read it (e.g. base_evicted, not_member). */
  readonly mergeReason: string | null;
  /** True when this device was a member of the message's epoch (public DAG). */
  readonly member: boolean;
  readonly waitedMs: number;
}

/** The device runtime with keyshare. */
export interface KeyshareDevice extends DeviceRuntime {
  readonly identity: DeviceIdentity;
  readonly merge: MergeDevice;
  getDeviceKey(): string;
  getWorldStatus(epochCid: string): string | null;
  offerKeyPackage(keyPackage: Uint8Array): void;
  receiveDeviceMessage(bytes: Uint8Array, now: number): Effects;
  /** Asks for the keys of one message (CID string) now, entitled or not (an explicit user request). */
  requestMessage(cid: string, now: number): Effects;
  listRecovered(): RecoveredMessage[];
  listUnreadable(): UnreadableMessage[];
  listKeyshareLog(): KeyshareLogEntry[];
  /** When each message (CID string) first became readable here, through a world or keyshare. */
  getReadAt(cid: string): number | null;
  getEpochKeys(epochCid: string): ReturnType<MergeDevice['getEpochKeys']>;
  /**
   * The state to persist (`saveKeyshareDeviceState`). A runtime on disk saves it after every call
   * and before it hands out the call's device messages, so a sent answer is never forgotten by the
   * replay guard.
   */
  exportState(): KeyshareDeviceState;
}

/** Creates a device runtime with keyshare over a merge device. */
export function createKeyshareDevice(options: KeyshareDeviceOptions): KeyshareDevice {
  return new KeyshareDeviceImpl(options);
}

interface Track {
  /** CID string, DAG height and ledger key (asking follows the merge device's view order: height, key). */
  readonly id: string;
  readonly height: number;
  readonly key: string;
  readonly cid: CID;
  readonly epoch: CID;
  readonly sender: number;
  readonly firstAt: number;
  rounds: number;
  request: string | null;
  settledAt: number | null;
  state: string | null;
  readAt: number | null;
}

const LASTING: ReadonlySet<WithheldReason> = new Set(['not_a_member', 'untrusted', 'disabled', 'unavailable']);
/** Refusals no later round can change (membership and trust are decided; `unavailable` may change as worlds arrive). */
const FINAL: ReadonlySet<WithheldReason> = new Set(['not_a_member', 'untrusted', 'disabled']);
const MAX_LOG = 10_000;
const textDecoder = new TextDecoder();

class KeyshareDeviceImpl implements KeyshareDevice {
  readonly id: string;
  readonly identity: DeviceIdentity;
  readonly merge: MergeDevice;
  readonly #cs: CipherSuite;
  readonly #membership: MembershipOracle;
  readonly #answerDeps: AnswererDeps;
  readonly #requestDeps: RequesterDeps;
  readonly #askAfter: number;
  readonly #maxRounds: number;
  readonly #reaskAfter: number;
  readonly #autoAsk: boolean;
  #answerer: AnswererState = createAnswererState();
  #requester: RequesterState = createRequesterState();
  readonly #tracks = new Map<string, Track>();
  /** Tracks that may be asked for automatically: unreadable, no open request, rounds left, epoch not known to exclude this device. */
  readonly #pending = new Set<Track>();
  /** Tracks by the key of the open request covering them. */
  readonly #byRequest = new Map<string, Set<Track>>();
  /** Change cursor into the merge device's messages (MergeDevice.listMessageChanges). */
  #cursor = 0;
  readonly #recovered = new Map<string, RecoveredMessage>();
  readonly #log: KeyshareLogEntry[] = [];
  #now = 0;
  #lastPrune = 0;

  constructor(options: KeyshareDeviceOptions) {
    const d = options.device;
    this.id = d.id;
    const random = options.random ?? d.random;
    this.#cs = getCipherSuite(d.suite, d.provider ?? 'node', { random });
    // The signature key is drawn as the merge device would draw it (from its own stream).
    const signature = d.signatureKeyPair ?? getCipherSuite(d.suite, d.provider ?? 'node', { random: d.random }).signatureGenerateKeyPair();
    this.merge = (options.createMergeDevice ?? createDevice)({ ...d, signatureKeyPair: signature });
    const saved = options.state;
    this.identity = createDeviceIdentity(this.#cs, {
      user: new TextEncoder().encode(d.id),
      created: options.created ?? 0,
      signaturePrivateKey: signature.privateKey,
      ...(saved ? { hpkePrivateKey: saved.hpkePrivateKey } : {}),
    });
    this.#membership = createMergeMembership(this.merge);
    this.#answerDeps = {
      cs: this.#cs,
      identity: this.identity,
      policy: options.policy ?? createDefaultPolicy(),
      membership: this.#membership,
      trust: options.trust,
      keys: createMergeKeySource(this.merge),
    };
    this.#requestDeps = {
      cs: this.#cs,
      identity: this.identity,
      membership: this.#membership,
      epochs: createMergeViewSource(this.merge),
      options: { ...defaultRequesterOptions, ...options.requester },
      random,
    };
    this.#askAfter = options.askAfterMs ?? 500;
    this.#maxRounds = options.maxRounds ?? 3;
    this.#reaskAfter = options.reaskAfterMs ?? 10_000;
    this.#autoAsk = options.autoAsk ?? true;
    if (saved) this.#restore(saved);
  }

  /** Resumes from a saved state: open requests keep their ids and attempts, the replay guard and buckets hold. */
  #restore(saved: KeyshareDeviceState): void {
    this.#answerer = saved.answerer;
    this.#requester = saved.requester;
    for (const r of saved.recovered) this.#recovered.set(r.cid, { ...r });
    for (const t of saved.tracks) {
      const track: Track = { ...t, id: t.cid.toString(), request: null };
      this.#tracks.set(track.id, track);
      // A request the requester no longer holds open is closed at the next call (#closeRounds).
      this.#setRequest(track, t.request);
      this.#refreshPending(track);
    }
  }

  exportState(): KeyshareDeviceState {
    const tracks: MessageTrackRecord[] = [];
    for (const t of this.#tracks.values()) {
      const { id: _id, ...rest } = t;
      tracks.push({ ...rest });
    }
    return {
      hpkePrivateKey: this.identity.hpkePrivateKey,
      answerer: this.#answerer,
      requester: this.#requester,
      tracks,
      recovered: [...this.#recovered.values()],
    };
  }

  // ---- DeviceRuntime ------------------------------------------------------------------------

  createKeyPackage(): Uint8Array {
    return this.merge.createKeyPackage();
  }
  createGroup(now: number): Effects {
    return this.#after(this.merge.createGroup(now), now);
  }
  add(keyPackages: Uint8Array[], now: number): Effects {
    return this.#after(this.merge.add(keyPackages, now), now);
  }
  remove(identities: string[], now: number): Effects {
    return this.#after(this.merge.remove(identities, now), now);
  }
  update(now: number): Effects {
    return this.#after(this.merge.update(now), now);
  }
  send(text: string, now: number): Effects {
    return this.#after(this.merge.send(text, now), now);
  }
  ingest(event: Uint8Array, now: number): Effects {
    return this.#after(this.merge.ingest(event, now), now);
  }
  tick(now: number): Effects {
    if (now - this.#lastPrune >= 60_000) {
      this.#answerer = pruneAnswererState(this.#answerer, now);
      this.#lastPrune = now;
    }
    return this.#after(this.merge.tick(now), now);
  }
  offerKeyPackage(keyPackage: Uint8Array): void {
    this.merge.offerKeyPackage(keyPackage);
  }
  getWorldStatus(epochCid: string): string | null {
    return this.merge.getWorldStatus(epochCid);
  }
  getEpochKeys(epochCid: string): ReturnType<MergeDevice['getEpochKeys']> {
    return this.merge.getEpochKeys(epochCid);
  }
  getDeviceKey(): string {
    return toHex(this.identity.binding.sigKey);
  }

  view(): DeviceView {
    const base = this.merge.view();
    return { ...base, messages: base.messages.map((m) => this.#overlay(m)) };
  }

  // ---- keyshare ------------------------------------------------------------------------------

  receiveDeviceMessage(bytes: Uint8Array, now: number): Effects {
    this.#now = now;
    const fx: Effects = { publish: [] };
    let type: unknown;
    try {
      type = decodeCborMap(bytes, MAX_MESSAGE_BYTES, 'keyshare message')['t'];
    } catch (e) {
      this.#refused(fx, null, e);
      return this.#after(fx, now);
    }
    try {
      if (type === 'request') this.#onRequest(fx, bytes, now);
      else if (type === 'answer' || type === 'withheld') this.#onReply(fx, bytes, now);
      else if (type === 'cancel') this.#answerer = applyCancel(this.#answerDeps, this.#answerer, bytes, now);
      else this.#refused(fx, null, new Error(`unknown keyshare message type ${String(type)}`));
    } catch (e) {
      this.#refused(fx, null, e);
    }
    return this.#after(fx, now);
  }

  requestMessage(cid: string, now: number): Effects {
    this.#now = now;
    const fx: Effects = { publish: [] };
    const track = this.#trackOf(cid, now);
    if (track === null) {
      fx.refused = { code: 'unknown_message', message: `this device holds no message ${cid}` };
      return fx;
    }
    if (this.#isReadable(cid)) {
      fx.refused = { code: 'readable', message: `message ${cid} is already readable here` };
      return fx;
    }
    if (track.request === null) this.#ask(fx, [track], now);
    return this.#after(fx, now);
  }

  listRecovered(): RecoveredMessage[] {
    return [...this.#recovered.values()];
  }

  listUnreadable(): UnreadableMessage[] {
    const out: UnreadableMessage[] = [];
    for (const m of this.merge.view().messages) {
      if (m.text !== null || this.#recovered.has(m.cid)) continue;
      const track = this.#tracks.get(m.cid);
      const member = track ? this.#wasMember(track.epoch) : false;
      out.push({
        cid: m.cid,
        epoch: m.epoch,
        reason: this.#reasonOf(track, m),
        mergeReason: m.reason ?? null,
        member,
        waitedMs: track ? this.#now - track.firstAt : 0,
      });
    }
    return out;
  }

  listKeyshareLog(): KeyshareLogEntry[] {
    return [...this.#log];
  }

  getReadAt(cid: string): number | null {
    return this.#tracks.get(cid)?.readAt ?? null;
  }

  // ---- internals ---------------------------------------------------------------------------

  #logEntry(entry: KeyshareLogEntry): void {
    this.#log.push(entry);
    if (this.#log.length > MAX_LOG) this.#log.shift();
  }

  #refused(fx: Effects, peer: string | null, e: unknown): void {
    const code = isKeyshareError(e) ? e.code : 'malformed';
    const message = e instanceof Error ? e.message : String(e);
    (fx.rejected ??= []).push({ code, message });
    this.#logEntry({ at: this.#now, kind: 'refused', peer, epoch: null, reason: code });
  }

  #onRequest(fx: Effects, bytes: Uint8Array, now: number): void {
    const out = answerRequest(this.#answerDeps, this.#answerer, bytes, now);
    this.#answerer = out.state;
    const peer = toHex(out.request.from);
    this.#send(fx, [{ kind: 'send', to: out.request.from, bytes: out.reply }]);
    if (out.kind === 'answered') this.#logEntry({ at: now, kind: 'answered', peer, epoch: out.request.epoch.toString() });
    else this.#logEntry({ at: now, kind: 'withheld', peer, epoch: out.request.epoch.toString(), reason: out.code });
  }

  #onReply(fx: Effects, bytes: Uint8Array, now: number): void {
    const out = receiveReply(this.#requestDeps, this.#requester, bytes, now, (cid) => this.#bodyOf(cid));
    this.#requester = out.state;
    this.#send(fx, out.effects);
    if (out.kind === 'withheld') {
      this.#logEntry({ at: now, kind: 'reply_withheld', peer: null, epoch: null, reason: out.reason });
      return;
    }
    const p = out.provenance;
    const epoch = this.#publicEpoch(p.epoch);
    const answererLeaf = epoch ? findLeafOfKey(epoch, p.answerer) : null;
    const answererId = (answererLeaf !== null ? epoch?.identities.get(answererLeaf) : undefined) ?? '?';
    for (const m of out.read) {
      const cid = m.cid.toString();
      const track = this.#tracks.get(cid);
      this.#recovered.set(cid, {
        cid,
        epoch: p.epoch.toString(),
        text: textDecoder.decode(m.plaintext),
        sender: epoch?.identities.get(m.sender) ?? '?',
        answerer: toHex(p.answerer),
        answererId,
        requestId: toHex(p.requestId),
        since: track?.firstAt ?? now,
        at: now,
      });
      if (track) {
        this.#setRequest(track, null);
        track.readAt ??= now;
        track.state = null;
        this.#refreshPending(track);
      }
    }
    this.#logEntry({ at: now, kind: 'reply_answered', peer: toHex(p.answerer), epoch: p.epoch.toString(), cids: out.read.map((m) => m.cid.toString()) });
  }

  #send(fx: Effects, effects: readonly SendEffect[]): void {
    if (effects.length === 0) return;
    const list: DeviceMessage[] = (fx.deviceMessages ??= []);
    for (const e of effects) list.push({ to: toHex(e.to), bytes: e.bytes });
  }

  #bodyOf(cid: CID): Uint8Array | null {
    return this.merge.getLedger()?.entries.get(cidKey(cid))?.checked.event.body ?? null;
  }

  #publicEpoch(epoch: CID): PublicEpoch | null {
    return this.merge.getLedger()?.getEpoch(cidKey(epoch)) ?? null;
  }

  #wasMember(epoch: CID): boolean {
    const ledger = this.merge.getLedger();
    const e = ledger?.getEpoch(cidKey(epoch));
    return e !== undefined && e !== null && findLeafOfKey(e, this.identity.binding.sigKey) !== null;
  }

  #isReadable(cid: string): boolean {
    if (this.#recovered.has(cid)) return true;
    return this.merge.view().messages.some((m) => m.cid === cid && m.text !== null);
  }

  /** The track of a message this device holds (created on first sight), or null. */
  #trackOf(cid: string, now: number): Track | null {
    const known = this.#tracks.get(cid);
    if (known) return known;
    let key: string;
    try {
      key = cidKey(parseCid(cid));
    } catch {
      return null;
    }
    const entry = this.merge.getLedger()?.entries.get(key);
    const ev = entry?.checked.event;
    if (!entry || !ev || ev.kind !== 'message' || !ev.base || ev.author.leaf === undefined) return null;
    const track: Track = {
      id: cid,
      height: entry.height,
      key: entry.key,
      cid: entry.cid,
      epoch: ev.base,
      sender: ev.author.leaf,
      firstAt: now,
      rounds: 0,
      request: null,
      settledAt: null,
      state: null,
      readAt: null,
    };
    this.#tracks.set(cid, track);
    return track;
  }

  /** Moves a track to another open request (or none), keeping the index by request in step. */
  #setRequest(track: Track, request: string | null): void {
    if (track.request === request) return;
    if (track.request !== null) {
      const set = this.#byRequest.get(track.request);
      set?.delete(track);
      if (set && set.size === 0) this.#byRequest.delete(track.request);
    }
    track.request = request;
    if (request !== null) {
      const set = this.#byRequest.get(request) ?? new Set<Track>();
      set.add(track);
      this.#byRequest.set(request, set);
    }
  }

  /** Keeps `#pending` to the tracks automatic asking must look at. */
  #refreshPending(track: Track): void {
    const waiting = this.#autoAsk && track.readAt === null && !this.#recovered.has(track.id) && track.request === null && track.rounds < this.#maxRounds;
    if (waiting && this.#memberOrUnknown(track.epoch)) this.#pending.add(track);
    else this.#pending.delete(track);
  }

  /** False only when the public DAG holds the epoch and this device is not in it (that cannot change). */
  #memberOrUnknown(epoch: CID): boolean {
    const e = this.merge.getLedger()?.getEpoch(cidKey(epoch));
    return e === undefined || e === null || findLeafOfKey(e, this.identity.binding.sigKey) !== null;
  }

  #reasonOf(track: Track | undefined, m: MessageView): string {
    if (track?.state) return track.state;
    return m.reason ?? 'no_world';
  }

  #overlay(m: MessageView): MessageView {
    const r = this.#recovered.get(m.cid);
    if (r && m.text === null) {
      const { reason: _drop, ...rest } = m;
      return { ...rest, text: r.text, sender: r.sender, recovered: { from: r.answererId, at: r.at } };
    }
    if (m.text !== null) return m;
    const track = this.#tracks.get(m.cid);
    const out: MessageView = { ...m, waitedMs: track ? this.#now - track.firstAt : 0 };
    if (track?.state) out.keyshare = track.state;
    return out;
  }

  /** Opens requests for `tracks` (same device's messages), grouped by (epoch, sender), at most 256 each. */
  #ask(fx: Effects, tracks: readonly Track[], now: number): void {
    const ledger = this.merge.getLedger();
    if (!ledger) return;
    const group = cidFromKey(ledger.groupKey);
    const groups = new Map<string, Track[]>();
    for (const t of tracks) {
      const k = `${t.epoch.toString()}/${t.sender}`;
      const list = groups.get(k) ?? [];
      list.push(t);
      groups.set(k, list);
    }
    for (const list of groups.values()) {
      for (let i = 0; i < list.length; i += MAX_REQUESTED_MESSAGES) {
        const chunk = list.slice(i, i + MAX_REQUESTED_MESSAGES);
        const first = chunk[0] as Track;
        const epoch = ledger.getEpoch(cidKey(first.epoch));
        if (!epoch) continue;
        const refs: MessageRef[] = [];
        const asked: Track[] = [];
        for (const t of chunk) {
          const body = this.#bodyOf(t.cid);
          if (body === null) continue;
          try {
            refs.push(createMessageRef(this.#cs, t.cid, body));
            asked.push(t);
          } catch {
            t.state = 'malformed';
            t.rounds = this.#maxRounds; // a body that is not a PrivateMessage cannot be asked for
            this.#refreshPending(t);
          }
        }
        if (refs.length === 0) continue;
        const step = requestKeys(
          this.#requestDeps,
          this.#requester,
          { group, epoch: first.epoch, sender: first.sender, wanted: { kind: 'messages', messages: refs }, candidates: this.#candidates(epoch, first.sender) },
          now,
        );
        this.#requester = step.state;
        this.#send(fx, step.effects);
        const opened = this.#requester.open.has(step.key);
        for (const t of asked) {
          t.rounds++;
          this.#setRequest(t, opened ? step.key : null);
          t.settledAt = opened ? null : now;
          t.state = opened ? 'awaiting_answer' : 'no_candidates';
          this.#refreshPending(t);
        }
      }
    }
  }

  /** Who may answer: the sender first (it surely held its own keys), then the other members in leaf order. */
  #candidates(epoch: PublicEpoch, sender: number): Uint8Array[] {
    const me = this.identity.binding.sigKey;
    const out: Uint8Array[] = [];
    const leaves = epoch.tree.leaves;
    const order = [sender, ...leaves.map((_, i) => i).filter((i) => i !== sender)];
    for (const i of order) {
      const leaf = leaves[i];
      if (leaf && !bytesEqual(leaf.signatureKey, me)) out.push(leaf.signatureKey);
    }
    return out;
  }

  /**
   * After every call: follow what became readable, ask for what stays unreadable, retry, give up,
   * wake. The cost is in what changed since the last call (the merge device's change cursor), the
   * messages waiting to be asked for, and the open requests; never in all the messages held.
   */
  #after(fx: Effects, now: number): Effects {
    this.#now = now;
    const ledger = this.merge.getLedger();
    if (!ledger || ledger.head === null) return fx;
    const changes = this.merge.listMessageChanges(this.#cursor);
    this.#cursor = changes.cursor;
    const satisfied = new Set<string>();
    for (const m of changes.messages) {
      const track = this.#trackOf(m.cid, now);
      if (!track) continue;
      if (m.text !== null || this.#recovered.has(m.cid)) {
        track.readAt ??= now;
        if (track.request !== null) satisfied.add(track.request);
        this.#setRequest(track, null);
        track.state = null;
      }
      this.#refreshPending(track);
    }
    const due: Track[] = [];
    let wake = Infinity;
    for (const track of this.#pending) {
      if (!this.#wasMember(track.epoch)) continue;
      const at = track.settledAt === null ? track.firstAt + this.#askAfter : track.settledAt + this.#reaskAfter;
      if (now >= at) due.push(track);
      else wake = Math.min(wake, at);
    }
    // Asked in the merge device's view order (height, then key), so runs stay deterministic.
    due.sort((a, b) => a.height - b.height || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    // Requests whose messages became readable another way are withdrawn.
    for (const key of satisfied) {
      const req = this.#requester.open.get(key);
      if (!req || req.cids.some((c) => !this.#isReadableFast(c.toString()))) continue;
      const step = cancelRequest(this.#requestDeps, this.#requester, key, true);
      this.#requester = step.state;
      this.#send(fx, step.effects);
      this.#logEntry({ at: now, kind: 'cancelled', peer: null, epoch: req.epoch.toString() });
    }
    if (due.length > 0) this.#ask(fx, due, now);
    // Give up before retrying: a request every candidate refused for good is not sent again.
    this.#giveUp(fx, now);
    const step = tickRequester(this.#requestDeps, this.#requester, now);
    this.#requester = step.state;
    this.#send(fx, step.effects);
    this.#closeRounds(now);
    for (const req of this.#requester.open.values()) wake = Math.min(wake, req.nextAttemptAt, req.expiresAt);
    if (wake !== Infinity) {
      const at = Math.max(wake, now + 1);
      fx.wakeAt = fx.wakeAt === undefined ? at : Math.min(fx.wakeAt, at);
    }
    return fx;
  }

  #isReadableFast(cid: string): boolean {
    const t = this.#tracks.get(cid);
    return this.#recovered.has(cid) || (t !== undefined && t.readAt !== null);
  }

  /** Ends the rounds of requests that are no longer open (expired, or closed by an answer that did not cover a message). */
  #closeRounds(now: number): void {
    for (const [key, tracks] of [...this.#byRequest]) {
      if (this.#requester.open.has(key)) continue;
      for (const t of [...tracks]) {
        this.#setRequest(t, null);
        t.settledAt = now;
        t.state = this.#requester.unreadable.get(t.id)?.reason ?? 'expired';
        this.#refreshPending(t);
      }
    }
  }

  /** Gives up requests every candidate refused for a lasting reason (cancels go to all asked). */
  #giveUp(fx: Effects, now: number): void {
    for (const [key, req] of this.#requester.open) {
      const refused = new Map<string, WithheldReason>();
      for (const w of req.withheld) refused.set(toHex(w.from), w.reason);
      const all = req.candidates.every((c) => {
        const r = refused.get(toHex(c));
        return r !== undefined && LASTING.has(r);
      });
      const last = req.withheld[req.withheld.length - 1];
      for (const cid of req.cids) {
        const t = this.#tracks.get(cid.toString());
        if (t && last) t.state = `withheld:${last.reason}`;
      }
      if (!all) continue;
      const final = [...refused.values()].every((r) => FINAL.has(r));
      const step = cancelRequest(this.#requestDeps, this.#requester, key, false);
      this.#requester = step.state;
      this.#send(fx, step.effects);
      for (const cid of req.cids) {
        const t = this.#tracks.get(cid.toString());
        if (!t || t.request !== key) continue;
        this.#setRequest(t, null);
        t.settledAt = now;
        if (final) t.rounds = Math.max(t.rounds, this.#maxRounds);
        this.#refreshPending(t);
      }
      this.#logEntry({ at: now, kind: 'gave_up', peer: null, epoch: req.epoch.toString(), reason: last ? last.reason : 'none', cids: req.cids.map(String) });
    }
  }
}
