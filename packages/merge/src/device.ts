// The device runtime (deviceApi.ts contract): a state machine over one group's public ledger and
// this device's worlds. Calls in, effects out; no clock, no I/O, randomness only from the injected
// source. `ingest` never throws: bad input is recorded as a typed Rejection (Effects.rejected).

import { getCipherSuite, type CipherSuite } from '@weft/crypto';
import { toHex } from '@weft/codec';
import { buildEvent, cidFromKey, cidKey, decodeEvent, formatCid, getEventGroup, parseCid, type CheckedEvent, type EventSigner } from '@weft/dag';
import { decodeMlsMessage, encodeMlsMessage, type KeyPackage, type Welcome } from '@weft/tree';
import type { DeviceOptions, DeviceRuntime, DeviceView, Effects, EpochKeyMaterial, MessageView, RetentionPolicy } from './deviceApi.ts';
import { MergeError, codeOf, toRejection, type MergeErrorCode, type Rejection } from './errors.ts';
import { PublicLedger, type CanonicalChain, type LedgerEntry } from './canonicalChain.ts';
import { getIdentity, listIdentities, releasePathInputs, type PublicEpoch } from './publicState.ts';
import { computeRebaseIntents, hasRebaseWork, type RebaseIntents } from './rebase.ts';
import { computeDutyDeadline, computeDutyOrder } from './dutyOrder.ts';
import { DEFAULT_RETENTION, applyRetention, evictWorlds, reportExposure, type EvictionReport, type ExposureEntry } from './retention.ts';
import {
  buildCommit,
  buildRejoinProposal,
  buildUpdateProposal,
  createGenesisWorld,
  createOwnKeyPackage,
  decryptText,
  encryptText,
  joinFromWelcome,
  processCommit,
  readKeyPackage,
  type DeviceKeys,
  type OwnKeyPackage,
  type World,
} from './worlds.ts';

/** Effects plus what the merge engine adds: typed rejections of ingested input and refusals of actions. */
export interface MergeEffects extends Effects {
  /** Events this call refused (never stored, state unchanged). */
  rejected?: Rejection[];
  /** Why an action did nothing (e.g. 'removal_pending' for send). */
  refused?: Rejection;
}

/** What this device last did about a rebase, for tests and reports. */
export interface RebaseRecord {
  /** CID string of the rebase commit. */
  readonly commit: string;
  /** CID strings it lists in `resolves`. */
  readonly resolves: string[];
  readonly removed: string[];
  readonly added: string[];
  /** Identities whose Update proposals it committed. */
  readonly updated: string[];
}

/** The device runtime with Weft's additions (all optional for drivers). */
export interface MergeDevice extends DeviceRuntime {
  createGroup(now: number): MergeEffects;
  add(keyPackages: Uint8Array[], now: number): MergeEffects;
  remove(identities: string[], now: number): MergeEffects;
  update(now: number): MergeEffects;
  send(text: string, now: number): MergeEffects;
  ingest(event: Uint8Array, now: number): MergeEffects;
  tick(now: number): MergeEffects;
  /** Gives the device another member's KeyPackage for re-adds (the KeyPackage directory). */
  offerKeyPackage(keyPackage: Uint8Array): void;
  /** Drops private state of epochs below `height` (DAG height), except the head; returns what went. */
  evictBefore(height: number): EvictionReport;
  /** What private epoch state is held, why, and until which head height. */
  reportExposure(): ExposureEntry[];
  /** The public canonical chain of the device's group, or null. */
  getCanonicalChain(): CanonicalChain | null;
  /** Every rejection recorded so far (bounded, oldest first). */
  listRejections(): Rejection[];
  /** Rebase commits this device made. */
  listRebases(): RebaseRecord[];
  /** The open intents at the head, as every replica computes them (null before a group). */
  getRebaseIntents(): RebaseIntents | null;
  /** Epoch CID strings for which this device holds a world. */
  listWorlds(): string[];
  /** The public ledger of the device's group (read-only use). */
  getLedger(): PublicLedger | null;
  /** 'held' when this device has a world for the epoch (CID string), else why not (e.g. 'removed', 'base_evicted'), or null if unknown. */
  getWorldStatus(epoch: string): string | null;
  /** The held message keys of an epoch (CID string) as created, 'evicted' when retention dropped them, null when never held. */
  getEpochKeys(epoch: string): EpochKeyMaterial | 'evicted' | null;
  /**
   * The messages that appeared or became readable since `cursor` (0 at first), in `view()` order,
   * and the cursor to pass next time: a layer above follows messages without rescanning them all.
   */
  listMessageChanges(cursor: number): MessageChanges;
}

/** Messages changed since a cursor (see MergeDevice.listMessageChanges). */
export interface MessageChanges {
  readonly cursor: number;
  readonly messages: MessageView[];
}

const MAX_REJECTIONS = 1000;
const MAX_OWN_KEY_PACKAGES = 64;
const MAX_LEDGERS = 4;
/** Events held until their group is known (they arrived before its genesis). */
const MAX_HELD = 1_000;
const MAX_RESOLVES = 10;

interface MessageRecord {
  /** Undefined for our own message until its event is accepted. */
  readonly entry: LedgerEntry | undefined;
  text: string | null;
  sender: string | null;
  reason: string | null;
}

/** Creates a device runtime. */
export function createDevice(options: DeviceOptions): MergeDevice {
  return new Device(options);
}

class Device implements MergeDevice {
  readonly id: string;
  readonly #cs: CipherSuite;
  readonly #keys: DeviceKeys;
  readonly #signer: EventSigner;
  readonly #policy: RetentionPolicy;
  readonly #interval: number;
  readonly #own = new Map<string, OwnKeyPackage>();
  readonly #directory = new Map<string, KeyPackage>();
  readonly #ledgers = new Map<string, PublicLedger>();
  /** Events that arrived before any event of their group (format v2 events name no group). */
  readonly #held = new Map<string, CheckedEvent>();
  #group: string | null = null;
  readonly #worlds = new Map<string, World>();
  /** Why an epoch has no world (removed, base_evicted, world_failed, evicted...). */
  readonly #noWorld = new Map<string, string>();
  readonly #updateKeys = new Map<string, Uint8Array>();
  readonly #proposedOn = new Set<string>();
  readonly #rejoinOn = new Set<string>();
  /** Commits this device rejected (see #maybeReject), and when its duty to reject began. */
  readonly #rejectedOn = new Set<string>();
  #rejectDuty: { commit: string; since: number } | null = null;
  readonly #committedOn = new Set<string>();
  readonly #pendingOwn = new Map<string, (e: PublicEpoch) => World>();
  readonly #messages = new Map<string, MessageRecord>();
  /** Unread messages by base epoch key, so a new world finds its messages without a scan. */
  readonly #unreadByBase = new Map<string, Set<MessageRecord>>();
  /** Keys of messages in the order they appeared or became readable (a change journal; cursor = index). */
  readonly #messageChanges: string[] = [];
  readonly #rejections: Rejection[] = [];
  readonly #rebases: RebaseRecord[] = [];
  #duty: { head: string; since: number } | null = null;
  /** When the canonical head last changed (simulated ms): proposals and rebases wait for it to settle. */
  #headSince: { head: string; since: number } | null = null;
  #dutyOrder: { key: string; order: number[] } | null = null;
  /** Simulated time a world was entered (for RetentionPolicy.maxAgeMs), and the time of the current call. */
  readonly #enteredAt = new Map<string, number>();
  #now = 0;
  #intents: { head: string; version: number; value: RebaseIntents | null } | null = null;
  #version = 0;

  constructor(options: DeviceOptions) {
    this.id = options.id;
    this.#cs = getCipherSuite(options.suite, options.provider ?? 'node', { random: options.random });
    const signature = options.signatureKeyPair ?? this.#cs.signatureGenerateKeyPair();
    this.#keys = { identity: options.id, signature };
    this.#signer = { suite: this.#cs, privateKey: signature.privateKey, publicKey: signature.publicKey };
    this.#policy = options.retention ?? DEFAULT_RETENTION;
    this.#interval = options.rebaseIntervalMs ?? 1000;
  }

  // ---- public API -------------------------------------------------------------------------

  createKeyPackage(): Uint8Array {
    const own = createOwnKeyPackage(this.#cs, this.#keys);
    this.#rememberOwn(own);
    return own.bytes;
  }

  createGroup(now: number): MergeEffects {
    const fx = this.#effects(now);
    if (this.#group !== null) return this.#refuse(fx, 'already_in_group', 'this device is already in a group');
    const own = createOwnKeyPackage(this.#cs, this.#keys);
    const checked = buildEvent({ kind: 'genesis', suite: this.#cs.id, parents: [], body: own.bytes }, this.#signer);
    const ledger = this.#ledgerFor(cidKey(checked.cid));
    if (!ledger) return this.#refuse(fx, 'event_invalid', 'too many groups');
    this.#group = ledger.groupKey;
    const report = ledger.add(checked.bytes);
    const epoch0 = ledger.getEpoch(cidKey(checked.cid));
    if (!epoch0) return this.#refuse(fx, 'event_invalid', `genesis refused: ${report.rejected[0]?.message ?? '?'}`);
    this.#worlds.set(epoch0.key, createGenesisWorld(this.#cs, epoch0, own));
    fx.publish.push(checked.bytes);
    this.#after(now, fx, true);
    return fx;
  }

  add(keyPackages: Uint8Array[], now: number): MergeEffects {
    const fx = this.#effects(now);
    let kps: KeyPackage[];
    try {
      kps = keyPackages.map(readKeyPackage);
    } catch (e) {
      return this.#refuseError(fx, e);
    }
    this.#commitOnHead(now, fx, { adds: kps, removeIdentities: [] });
    return fx;
  }

  remove(identities: string[], now: number): MergeEffects {
    const fx = this.#effects(now);
    this.#commitOnHead(now, fx, { adds: [], removeIdentities: identities });
    return fx;
  }

  update(now: number): MergeEffects {
    const fx = this.#effects(now);
    this.#commitOnHead(now, fx, { adds: [], removeIdentities: [] });
    return fx;
  }

  send(text: string, now: number): MergeEffects {
    const fx = this.#effects(now);
    const ledger = this.#ledger();
    const head = ledger?.head;
    if (!ledger || !head) return this.#refuse(fx, 'no_group', 'no group yet');
    const intents = this.#getIntents();
    if (intents?.closed) return this.#refuse(fx, 'group_closed', `the group is closed: the branches together removed every member (${intents.removes.map((r) => r.identity).join(', ')})`);
    const world = this.#worlds.get(head.key);
    if (!world) return this.#refuse(fx, 'no_world', 'no world for the canonical head');
    if (intents && intents.removes.length > 0) {
      return this.#refuse(fx, 'removal_pending', `the head still holds ${intents.removes.map((r) => r.identity).join(', ')}, removed on another branch; waiting for the rebase`);
    }
    try {
      const body = encryptText(this.#cs, world, this.#keys, text);
      const checked = this.#build('message', head.key, world.leaf, body);
      this.#messages.set(cidKey(checked.cid), { entry: undefined, text, sender: this.id, reason: null });
      this.#ingestOwn(checked, now, fx);
    } catch (e) {
      return this.#refuseError(fx, e);
    }
    this.#after(now, fx, false);
    return fx;
  }

  ingest(event: Uint8Array, now: number): MergeEffects {
    const fx = this.#effects(now);
    let checked: CheckedEvent;
    try {
      checked = decodeEvent(event);
    } catch (e) {
      this.#reject(fx, new MergeError('event_invalid', `event does not decode: ${e instanceof Error ? e.message : String(e)}`, undefined, codeOf(e)));
      return fx;
    }
    const groupKey = this.#findGroup(checked);
    if (groupKey === null) {
      this.#hold(checked, fx);
      return fx;
    }
    const ledger = this.#ledgerFor(groupKey);
    if (!ledger) {
      this.#reject(fx, new MergeError('wrong_group', 'event of a group this device does not follow', checked.cid.toString()));
      return fx;
    }
    try {
      const changed = this.#feed(ledger, checked, now, fx);
      const placed = this.#placeHeld(now, fx);
      this.#after(now, fx, changed || placed);
    } catch (e) {
      // Unreachable by design (every step records its own failures); kept so ingest never throws.
      this.#reject(fx, new MergeError('world_failed', `internal error while ingesting: ${e instanceof Error ? e.message : String(e)}`, checked.cid.toString(), codeOf(e)));
    }
    return fx;
  }

  tick(now: number): MergeEffects {
    const fx = this.#effects(now);
    try {
      this.#after(now, fx, false);
    } catch (e) {
      this.#reject(fx, new MergeError('world_failed', `internal error in tick: ${e instanceof Error ? e.message : String(e)}`, undefined, codeOf(e)));
    }
    return fx;
  }

  view(): DeviceView {
    const ledger = this.#ledger();
    const head = ledger?.head ?? null;
    const world = head ? this.#worlds.get(head.key) : undefined;
    return {
      id: this.id,
      group: ledger && ledger.head ? cidFromKey(ledger.groupKey).toString() : null,
      head: head ? cidFromKey(head.key).toString() : null,
      epoch: head ? Number(head.epoch) : null,
      members: head ? listIdentities(head) : [],
      treeHash: head ? toHex(head.groupContext.treeHash) : null,
      exporter: world ? world.exporter : null,
      messages: this.#listMessages(),
    };
  }

  offerKeyPackage(keyPackage: Uint8Array): void {
    try {
      const kp = readKeyPackage(keyPackage);
      this.#directory.set(getIdentity(kp.leafNode), kp);
    } catch {
      // a bad KeyPackage is simply not kept
    }
  }

  evictBefore(height: number): EvictionReport {
    const head = this.#ledger()?.head?.key ?? null;
    return evictWorlds(this.#worlds, head, height, height, this.#noWorld);
  }

  reportExposure(): ExposureEntry[] {
    return reportExposure(this.#worlds, this.#ledger()?.head?.key ?? null, this.#policy);
  }

  getCanonicalChain(): CanonicalChain | null {
    const l = this.#ledger();
    return l && l.head ? l.describe() : null;
  }

  listRejections(): Rejection[] {
    return [...this.#rejections];
  }

  listRebases(): RebaseRecord[] {
    return [...this.#rebases];
  }

  getRebaseIntents(): RebaseIntents | null {
    return this.#getIntents();
  }

  listWorlds(): string[] {
    return [...this.#worlds.keys()].map((k) => cidFromKey(k).toString());
  }

  getLedger(): PublicLedger | null {
    return this.#ledger();
  }

  getWorldStatus(epoch: string): string | null {
    let key: string;
    try {
      key = cidKey(parseCid(epoch));
    } catch {
      return null;
    }
    if (this.#worlds.has(key)) return 'held';
    return this.#noWorld.get(key) ?? null;
  }

  listMessageChanges(cursor: number): MessageChanges {
    const end = this.#messageChanges.length;
    const from = Number.isInteger(cursor) && cursor >= 0 ? Math.min(cursor, end) : 0;
    return { cursor: end, messages: this.#viewsOf(new Set(this.#messageChanges.slice(from, end))) };
  }

  getEpochKeys(epoch: string): EpochKeyMaterial | 'evicted' | null {
    let key: string;
    try {
      key = cidKey(parseCid(epoch));
    } catch {
      return null;
    }
    const w = this.#worlds.get(key);
    if (w && w.framing !== null && w.sharingTree !== null) {
      return { groupId: w.framing.groupId, epoch: w.epoch, secretTree: w.sharingTree, senderDataSecret: w.framing.senderDataSecret };
    }
    const why = this.#noWorld.get(key);
    return w || why === 'evicted' ? 'evicted' : null;
  }

  // ---- plumbing ---------------------------------------------------------------------------

  #effects(now: number): MergeEffects {
    this.#now = now;
    return { publish: [] };
  }

  /** Removes a world whose private state is all gone (after a time-bound eviction). */
  #dropIfEmpty(k: string): void {
    const w = this.#worlds.get(k);
    if (w && w.treeKeys === null && w.secretTree === null) {
      this.#worlds.delete(k);
      this.#noWorld.set(k, 'evicted');
    }
  }

  #refuse(fx: MergeEffects, code: MergeErrorCode, message: string): MergeEffects {
    fx.refused = toRejection(new MergeError(code, message));
    return fx;
  }

  #refuseError(fx: MergeEffects, e: unknown): MergeEffects {
    if (e instanceof MergeError) fx.refused = toRejection(e);
    else fx.refused = toRejection(new MergeError('world_failed', e instanceof Error ? e.message : String(e), undefined, codeOf(e)));
    return fx;
  }

  #reject(fx: MergeEffects, e: MergeError | Rejection): void {
    const r = e instanceof MergeError ? toRejection(e) : e;
    (fx.rejected ??= []).push(r);
    this.#rejections.push(r);
    if (this.#rejections.length > MAX_REJECTIONS) this.#rejections.shift();
  }

  #rememberOwn(own: OwnKeyPackage): void {
    this.#own.set(own.ref, own);
    while (this.#own.size > MAX_OWN_KEY_PACKAGES) {
      const first = this.#own.keys().next();
      if (first.done) break;
      this.#own.delete(first.value);
    }
  }

  /** The ledger of our group; before joining, the only group we follow (an observer's view). */
  #ledger(): PublicLedger | null {
    if (this.#group === null) return this.#ledgers.size === 1 ? ([...this.#ledgers.values()][0] ?? null) : null;
    return this.#ledgers.get(this.#group) ?? null;
  }

  /**
   * The group of an incoming event: a genesis is its own; any other event belongs to its parents'
   * group (format v2 events name none). A member follows only its group, and so does a device
   * following one group; before joining, with several, the ledger holding one of its parents.
   */
  #findGroup(checked: CheckedEvent): string | null {
    const own = getEventGroup(checked);
    if (own) return cidKey(own);
    if (this.#group !== null || this.#ledgers.size === 1) return this.#ledger()?.groupKey ?? null;
    for (const p of checked.event.parents) {
      const k = cidKey(p);
      for (const l of this.#ledgers.values()) if (l.entries.has(k) || l.pending.has(k)) return l.groupKey;
    }
    return null;
  }

  /** Keeps an event whose group cannot be told yet (no genesis seen), oldest dropped first. */
  #hold(checked: CheckedEvent, fx: MergeEffects): void {
    this.#held.set(cidKey(checked.cid), checked);
    if (this.#held.size <= MAX_HELD) return;
    const [key, oldest] = this.#held.entries().next().value as [string, CheckedEvent];
    this.#held.delete(key);
    this.#reject(fx, new MergeError('missing_parent', `no ancestor of ${oldest.cid.toString()} arrived, so its group is unknown (held events full)`, oldest.cid.toString()));
  }

  /** Feeds held events to the ledger of their group once it can be told. Returns true when handshakes changed. */
  #placeHeld(now: number, fx: MergeEffects): boolean {
    let changed = false;
    for (let progress = true; progress && this.#held.size > 0; ) {
      progress = false;
      for (const [key, checked] of this.#held) {
        const groupKey = this.#findGroup(checked);
        if (groupKey === null) continue;
        this.#held.delete(key);
        progress = true;
        const ledger = this.#ledgerFor(groupKey);
        if (ledger) changed = this.#feed(ledger, checked, now, fx) || changed;
        else this.#reject(fx, new MergeError('wrong_group', 'event of a group this device does not follow', checked.cid.toString()));
      }
    }
    return changed;
  }

  #ledgerFor(groupKey: string): PublicLedger | null {
    let l = this.#ledgers.get(groupKey);
    if (!l) {
      // Before joining, a device follows the few groups its site feeds it; after, only its own.
      if (this.#group !== null && groupKey !== this.#group) return null;
      if (this.#ledgers.size >= MAX_LEDGERS) return null;
      l = new PublicLedger(groupKey, { provider: this.#cs.provider });
      this.#ledgers.set(groupKey, l);
    }
    return l;
  }

  /**
   * Parents for a new event: the heads, highest first (so the event sits above its base), at most
   * `max`. Commits merge up to 20 heads; proposals name one, since handshake bytes count in a heal
   * and a commit waits for the proposals it references whatever their place in the DAG.
   */
  #parents(ledger: PublicLedger, max: number, base: string): CheckedEvent['event']['parents'] {
    const heads = [...ledger.heads].map((k) => ({ k, h: ledger.entries.get(k)?.height ?? 0 }));
    heads.sort((a, b) => b.h - a.h || (a.k < b.k ? -1 : 1));
    // The event belongs to `base`, so the author must be seen to have had it: the first parent is
    // the highest head above the base (the base itself if none is), whatever branch is higher.
    const first = heads.find((x) => ledger.descendsFrom(x.k, base))?.k ?? base;
    const rest = heads.filter((x) => x.k !== first).slice(0, max - 1);
    return [first, ...rest.map((x) => x.k)].map(cidFromKey);
  }

  #build(kind: 'commit' | 'proposal' | 'welcome' | 'message', base: string, leaf: number | undefined, body: Uint8Array, extra: { resolves?: string[]; parents?: string[] } = {}): CheckedEvent {
    const ledger = this.#ledger() as PublicLedger;
    const max = kind === 'proposal' ? 1 : kind === 'message' ? 4 : 20;
    let parents = extra.parents ? extra.parents.map(cidFromKey) : this.#parents(ledger, max, base);
    if (extra.resolves && extra.resolves.length > 0) {
      // The resolved commits are parents too, so every replica (a DagStore included, which
      // refuses unknown resolves) has them before the rebase commit.
      const keys = new Set(extra.resolves);
      // The first parent (above the base) must stay: resolves take at most MAX_RESOLVES slots.
      for (const p of parents) if (keys.size < 20) keys.add(cidKey(p));
      parents = [...keys].map(cidFromKey);
    }
    return buildEvent(
      {
        kind,
        parents,
        base: cidFromKey(base),
        body,
        ...(extra.resolves && extra.resolves.length > 0 ? { resolves: extra.resolves.map(cidFromKey) } : {}),
        ...(leaf === undefined ? {} : { leaf }),
      },
      this.#signer,
    );
  }

  /** Ingests an event this device made, and publishes it. */
  #ingestOwn(checked: CheckedEvent, now: number, fx: MergeEffects): void {
    const ledger = this.#ledger() as PublicLedger;
    fx.publish.push(checked.bytes);
    // We signed it a moment ago: the ledger need not verify the event signature again.
    this.#feed(ledger, checked, now, fx, true);
  }

  /** Adds an event to a ledger and reacts to everything it accepted. Returns true when handshakes changed. */
  #feed(ledger: PublicLedger, checked: CheckedEvent, _now: number, fx: MergeEffects, own = false): boolean {
    const report = ledger.addChecked(checked, own);
    for (const r of report.rejected) this.#reject(fx, r);
    let changed = report.chainChangedAt !== null;
    for (const entry of report.accepted) {
      if (entry.kind === 'commit' || entry.kind === 'proposal') {
        changed = true;
        this.#version++;
      }
      if (ledger.groupKey !== this.#group) {
        if (entry.kind === 'welcome') this.#onWelcome(ledger, entry);
        continue;
      }
      if (entry.kind === 'commit') this.#onCommit(ledger, entry.key);
      else if (entry.kind === 'welcome') this.#onWelcome(ledger, entry);
      else if (entry.kind === 'message') this.#onMessage(ledger, entry);
    }
    return changed;
  }

  #onCommit(ledger: PublicLedger, key: string): void {
    const epoch = ledger.getEpoch(key);
    if (!epoch || !epoch.base || this.#worlds.has(key)) return;
    this.#processCommit(ledger, epoch);
    // Path inputs matter only while we may still process this commit: we are a member of its
    // base and are waiting for that world (a Welcome, say).
    const status = this.#worlds.has(key) ? 'held' : this.#noWorld.get(key);
    const baseEpoch = ledger.getEpoch(epoch.base);
    if (status !== 'no_world' || !baseEpoch?.leafOf.has(this.id)) releasePathInputs(epoch);
  }

  #processCommit(ledger: PublicLedger, epoch: PublicEpoch): void {
    const key = epoch.key;
    if (!epoch.base) return;
    const finish = this.#pendingOwn.get(key);
    if (finish) {
      this.#pendingOwn.delete(key);
      try {
        this.#install(ledger, finish(epoch));
      } catch (e) {
        this.#noWorld.set(key, codeOf(e));
      }
      return;
    }
    const base = this.#worlds.get(epoch.base);
    if (!base) {
      this.#noWorld.set(key, this.#noWorld.get(epoch.base) === 'evicted' ? 'base_evicted' : 'no_world');
      return;
    }
    try {
      const out = processCommit(this.#cs, base, ledger.getEpoch(epoch.base) as PublicEpoch, epoch, (ref) => this.#updateKeys.get(ref));
      if (out.kind === 'removed') this.#noWorld.set(key, 'removed');
      else this.#install(ledger, out.world);
    } catch (e) {
      this.#noWorld.set(key, e instanceof MergeError ? e.code : codeOf(e));
    }
  }

  /** Installs a world, then processes what waited for it: child commits and messages. */
  #install(ledger: PublicLedger, world: World): void {
    const stack = [world];
    while (stack.length > 0) {
      const w = stack.pop() as World;
      this.#worlds.set(w.key, w);
      this.#enteredAt.set(w.key, this.#now);
      this.#noWorld.delete(w.key);
      const unread = this.#unreadByBase.get(w.key);
      if (unread) for (const rec of [...unread]) this.#decrypt(ledger, rec);
      for (const child of ledger.childrenByBase.get(w.key) ?? []) {
        if (this.#worlds.has(child)) continue;
        const epoch = ledger.getEpoch(child) as PublicEpoch;
        try {
          const out = processCommit(this.#cs, w, ledger.getEpoch(w.key) as PublicEpoch, epoch, (ref) => this.#updateKeys.get(ref));
          if (out.kind === 'removed') this.#noWorld.set(child, 'removed');
          else stack.push(out.world);
        } catch (e) {
          this.#noWorld.set(child, e instanceof MergeError ? e.code : codeOf(e));
        }
        releasePathInputs(epoch);
      }
    }
  }

  #onWelcome(ledger: PublicLedger, entry: LedgerEntry): void {
    const base = entry.checked.event.base;
    if (!base) return;
    const commitKey = cidKey(base);
    if (this.#worlds.has(commitKey)) return;
    const epoch = ledger.getEpoch(commitKey);
    if (!epoch) return;
    let welcome;
    try {
      const m = decodeMlsMessage(entry.checked.event.body);
      if (m.wireFormat !== 'welcome') return;
      welcome = m.welcome;
    } catch {
      return;
    }
    for (const s of welcome.secrets) {
      const own = this.#own.get(toHex(s.newMember));
      if (!own) continue;
      try {
        const world = joinFromWelcome(this.#cs, welcome, epoch, own);
        if (this.#group === null) this.#group = ledger.groupKey;
        if (ledger.groupKey !== this.#group) return;
        this.#install(ledger, world);
        // Messages seen before joining were recorded only once we follow this group.
        for (const m of ledger.entries.values()) if (m.kind === 'message' && !this.#messages.has(m.key)) this.#onMessage(ledger, m);
      } catch (e) {
        this.#noWorld.set(commitKey, e instanceof MergeError ? e.code : codeOf(e));
      }
      return;
    }
  }

  #onMessage(ledger: PublicLedger, entry: LedgerEntry): void {
    const existing = this.#messages.get(entry.key);
    if (existing) {
      // our own message: keep the plaintext recorded at send time, attach the entry
      if (!existing.entry) {
        this.#messages.set(entry.key, { ...existing, entry });
        this.#messageChanges.push(entry.key);
      }
      return;
    }
    const rec: MessageRecord = { entry, text: null, sender: null, reason: null };
    this.#messages.set(entry.key, rec);
    this.#messageChanges.push(entry.key);
    const base = entry.checked.event.base;
    if (base) {
      const k = cidKey(base);
      const set = this.#unreadByBase.get(k) ?? new Set<MessageRecord>();
      set.add(rec);
      this.#unreadByBase.set(k, set);
    }
    this.#decrypt(ledger, rec);
  }

  #decrypt(ledger: PublicLedger, rec: MessageRecord): void {
    const entry = rec.entry;
    const base = entry?.checked.event.base;
    if (!entry || !base) return;
    const key = cidKey(base);
    const world = this.#worlds.get(key);
    const epoch = ledger.getEpoch(key);
    if (!epoch) return;
    if (!world) {
      rec.reason = this.#noWorld.get(key) ?? (epoch.leafOf.has(this.id) ? 'no_world' : 'not_member');
      return;
    }
    try {
      const out = decryptText(this.#cs, world, epoch, entry.checked.event.body);
      rec.text = out.text;
      rec.sender = out.sender;
      rec.reason = null;
      this.#messageChanges.push(entry.key);
      const set = this.#unreadByBase.get(key);
      set?.delete(rec);
      if (set && set.size === 0) this.#unreadByBase.delete(key);
    } catch (e) {
      rec.reason = e instanceof MergeError && e.code === 'no_world' ? 'evicted' : `decrypt_failed:${codeOf(e)}`;
    }
  }

  #listMessages(): MessageView[] {
    return this.#viewsOf(this.#messages.keys());
  }

  /** Views of the messages with these keys (those with an accepted event), sorted by height then key as view() lists them. */
  #viewsOf(keys: Iterable<string>): MessageView[] {
    const ledger = this.#ledger();
    const out: { h: number; k: string; v: MessageView }[] = [];
    for (const k of keys) {
      const rec = this.#messages.get(k);
      const entry = rec?.entry;
      if (!rec || !entry) continue;
      const base = entry.checked.event.base;
      const baseKey = base ? cidKey(base) : '';
      const epoch = ledger?.getEpoch(baseKey);
      let sender = rec.sender;
      if (sender === null && epoch) {
        const leaf = entry.checked.event.author.leaf;
        const node = leaf === undefined ? null : epoch.tree.leaves[leaf];
        sender = node ? getIdentity(node) : '?';
      }
      let reason = rec.reason;
      if (rec.text === null && reason === null) reason = this.#noWorld.get(baseKey) ?? 'no_world';
      const v: MessageView = { cid: formatCid(entry.cid), epoch: base ? formatCid(base) : '', sender: sender ?? '?', text: rec.text };
      if (rec.text === null && reason !== null) v.reason = reason;
      out.push({ h: entry.height, k, v });
    }
    out.sort((a, b) => a.h - b.h || (a.k < b.k ? -1 : 1));
    return out.map((x) => x.v);
  }

  #getIntents(): RebaseIntents | null {
    const ledger = this.#ledger();
    const head = ledger?.head;
    if (!ledger || !head) return null;
    if (this.#intents && this.#intents.head === head.key && this.#intents.version === this.#version) return this.#intents.value;
    const value = computeRebaseIntents(ledger);
    this.#intents = { head: head.key, version: this.#version, value };
    return value;
  }

  // ---- commits ----------------------------------------------------------------------------

  #commitOnHead(now: number, fx: MergeEffects, req: { adds: KeyPackage[]; removeIdentities: string[] }): void {
    const ledger = this.#ledger();
    const head = ledger?.head;
    if (!ledger || !head) {
      this.#refuse(fx, 'no_group', 'no group yet');
      return;
    }
    // Pending Update proposals on the head ride along, so refreshes are committed together.
    const intents = this.#getIntents();
    if (intents?.closed) {
      this.#refuse(fx, 'group_closed', 'the group is closed: the branches together removed every member');
      return;
    }
    const world = this.#worlds.get(head.key);
    if (!world) {
      this.#refuse(fx, 'no_world', 'no world for the canonical head');
      return;
    }
    const removes: number[] = [];
    for (const id of req.removeIdentities) {
      const leaf = head.leafOf.get(id);
      if (leaf === undefined) {
        this.#refuse(fx, 'unknown_member', `${id} is not a member of the head`);
        return;
      }
      if (!removes.includes(leaf)) removes.push(leaf);
    }
    const updates = (intents?.updates ?? []).filter((u) => u.senderLeaf !== world.leaf && !removes.includes(u.senderLeaf ?? -1));
    try {
      this.#makeCommit(ledger, head, world, { removes, adds: req.adds, updates }, [], now, fx);
    } catch (e) {
      this.#refuseError(fx, e);
      return;
    }
    this.#after(now, fx, true);
  }

  /** Builds, ingests and publishes a commit (and its Welcome); installs our world for it. */
  #makeCommit(
    ledger: PublicLedger,
    head: PublicEpoch,
    world: World,
    input: Parameters<typeof buildCommit>[4],
    resolves: string[],
    now: number,
    fx: MergeEffects,
  ): CheckedEvent {
    const built = buildCommit(this.#cs, world, head, this.#keys, input);
    const checked = this.#build('commit', head.key, world.leaf, built.body, { resolves });
    const key = cidKey(checked.cid);
    this.#pendingOwn.set(key, built.finish);
    this.#ingestOwn(checked, now, fx);
    if (!ledger.getEpoch(key)) {
      this.#pendingOwn.delete(key);
      throw new MergeError('invalid_commit', `our own commit was refused: ${fx.rejected?.at(-1)?.message ?? '?'}`);
    }
    this.#committedOn.add(head.key);
    if (built.welcome) {
      const body = encodeWelcomeMessage(built.welcome);
      const w = this.#build('welcome', key, world.leaf, body, { parents: [key] });
      this.#ingestOwn(w, now, fx);
    }
    return checked;
  }

  // ---- after every call: retention, stranded check, update proposals, rebase duty ---------

  #after(now: number, fx: MergeEffects, changed: boolean): void {
    const ledger = this.#ledger();
    const head = ledger?.head;
    if (!ledger || !head) return;
    if (changed) applyRetention(this.#worlds, head.key, head.height, this.#policy, this.#noWorld);
    const maxAge = this.#policy.maxAgeMs;
    if (maxAge !== undefined) {
      for (const [k, t] of this.#enteredAt) {
        if (!this.#worlds.has(k)) this.#enteredAt.delete(k);
        else if (k !== head.key && now - t > maxAge) {
          evictWorlds(new Map([[k, this.#worlds.get(k) as World]]), null, Infinity, Infinity, this.#noWorld);
          this.#dropIfEmpty(k);
        }
      }
    }
    // Each step may publish handshakes that change the head; a few rounds settle it.
    for (let round = 0; round < 3; round++) {
      const before: string | undefined = ledger.head?.key;
      if (before !== undefined && this.#headSince?.head !== before) this.#headSince = { head: before, since: now };
      this.#act(ledger, now, fx);
      if (ledger.head?.key === before) break;
    }
  }

  /**
   * True once the head has not changed for a quarter interval. A heal delivers the other branch
   * event by event, moving the head many times; acting on every intermediate head would multiply
   * proposals and rebase forks. Otherwise asks for a wake-up.
   */
  #headSettled(now: number, fx: MergeEffects): boolean {
    const at = (this.#headSince?.since ?? now) + Math.floor(this.#interval / 4);
    if (now >= at) return true;
    fx.wakeAt = fx.wakeAt === undefined ? at : Math.min(fx.wakeAt, at);
    return false;
  }

  #act(ledger: PublicLedger, now: number, fx: MergeEffects): void {
    const head = ledger.head as PublicEpoch;
    const myLeaf = head.leafOf.get(this.id);
    const world = this.#worlds.get(head.key);
    if (myLeaf === undefined) return;
    // Nothing is planned on a head that is still moving (cheap check first: no intents computed).
    if (!this.#headSettled(now, fx)) return;
    if (!world) {
      if (!this.#maybeReject(ledger, now, fx)) this.#maybeRejoin(ledger, head, now, fx);
      return;
    }
    const intents = this.#getIntents();
    if (!intents || intents.closed || (!hasRebaseWork(intents) && intents.staleUpdaters.length === 0)) {
      this.#duty = null;
      return;
    }
    // A removed member acts only to hand the group over to losing-branch joiners (see handoff).
    const iAmRemoved = intents.removes.some((r) => r.leaf === myLeaf);
    if (iAmRemoved && !intents.handoff) return;
    // A member whose own key refresh lost proposes a fresh Update on the head (once per head).
    if (intents.staleUpdaters.some((s) => s.leaf === myLeaf) && !this.#proposedOn.has(head.key) && !intents.updates.some((u) => u.senderLeaf === myLeaf)) {
      this.#proposedOn.add(head.key);
      try {
        const p = buildUpdateProposal(this.#cs, world, head, this.#keys);
        const checked = this.#build('proposal', head.key, myLeaf, p.body);
        this.#ingestOwn(checked, now, fx);
        const rec = ledger.getProposals(head.key).find((r) => r.key === cidKey(checked.cid));
        if (rec) this.#updateKeys.set(rec.ref, p.leafPrivateKey);
      } catch (e) {
        this.#reject(fx, e instanceof MergeError ? e : new MergeError('world_failed', String(e), undefined, codeOf(e)));
      }
    }
    const now2 = this.#getIntents() as RebaseIntents;
    if (!hasRebaseWork(now2) || this.#committedOn.has(head.key)) {
      if (!hasRebaseWork(now2)) this.#duty = null;
      return;
    }
    // Duty time starts when work appeared on a settled head (a head can be old when the losing
    // branch arrives, e.g. for the device whose late commit won).
    if (!this.#duty || this.#duty.head !== head.key) {
      const settledAt = this.#headSince?.head === head.key ? this.#headSince.since + Math.floor(this.#interval / 4) : now;
      this.#duty = { head: head.key, since: Math.max(settledAt, now) };
    }
    const exclude = new Set(now2.handoff ? [] : now2.removes.map((r) => r.leaf));
    const orderKey = `${head.key}/${[...exclude].sort().join(',')}`;
    if (this.#dutyOrder?.key !== orderKey) this.#dutyOrder = { key: orderKey, order: computeDutyOrder(this.#cs, head, exclude) };
    const order = this.#dutyOrder.order;
    const position = order.indexOf(myLeaf);
    if (position < 0) return;
    const proposers = new Set(now2.updates.map((u) => u.senderLeaf));
    const waiting = now2.staleUpdaters.some((s) => s.leaf !== myLeaf && !proposers.has(s.leaf));
    const deadline = computeDutyDeadline(this.#duty.since, position, this.#interval, waiting);
    if (now < deadline) {
      fx.wakeAt = fx.wakeAt === undefined ? deadline : Math.min(fx.wakeAt, deadline);
      return;
    }
    this.#commitRebase(ledger, head, world, now2, now, fx);
  }

  #commitRebase(ledger: PublicLedger, head: PublicEpoch, world: World, intents: RebaseIntents, now: number, fx: MergeEffects): void {
    const removes = intents.removes.map((r) => r.leaf).filter((l) => l !== world.leaf);
    const adds: KeyPackage[] = [];
    const added: string[] = [];
    for (const a of intents.adds) {
      adds.push(this.#directory.get(a.identity) ?? a.keyPackage);
      added.push(a.identity);
    }
    for (const r of intents.rejoins) {
      if (r.proposal.proposalType !== 'add') continue;
      const id = getIdentity(r.proposal.keyPackage.leafNode);
      if (added.includes(id)) continue;
      const leaf = head.leafOf.get(id);
      if (leaf === world.leaf) continue;
      if (leaf !== undefined && !removes.includes(leaf)) removes.push(leaf);
      adds.push(r.proposal.keyPackage);
      added.push(id);
    }
    const updates = intents.updates.filter((u) => u.senderLeaf !== world.leaf && !removes.includes(u.senderLeaf ?? -1));
    const resolves = intents.unsettled.slice(0, MAX_RESOLVES);
    try {
      const checked = this.#makeCommit(ledger, head, world, { removes, adds, updates }, resolves, now, fx);
      this.#rebases.push({
        commit: formatCid(checked.cid),
        resolves: resolves.map((k) => cidFromKey(k).toString()),
        removed: intents.removes.map((r) => r.identity).filter((id) => id !== this.id),
        added,
        updated: updates.map((u) => head.identities.get(u.senderLeaf ?? -1) ?? '?'),
      });
      this.#duty = null;
    } catch (e) {
      // Do not retry on this head: another duty holder will (deterministic fallback).
      this.#committedOn.add(head.key);
      this.#reject(fx, e instanceof MergeError ? e : new MergeError('world_failed', e instanceof Error ? e.message : String(e), undefined, codeOf(e)));
    }
  }

  /**
   * When the canonical chain runs through a commit that fails private MLS validation for us
   * (commit_invalid) right above an epoch whose world we hold, we reject it: a commit on that
   * epoch listing it in `resolves` (PublicLedger.isRejected), which every replica then ranks
   * below every other. Members of that epoch (its committer excluded) take the duty in order,
   * one interval apart, so one rejection usually suffices. Returns true when it applies.
   */
  #maybeReject(ledger: PublicLedger, now: number, fx: MergeEffects): boolean {
    let i = ledger.chain.length - 1;
    for (let steps = 0; i > 0 && !this.#worlds.has(ledger.chain[i] as string) && steps < this.#policy.forkHorizon; steps++) i--;
    const baseKey = ledger.chain[i] as string;
    const badKey = ledger.chain[i + 1];
    const world = this.#worlds.get(baseKey);
    if (!world || badKey === undefined || this.#noWorld.get(badKey) !== 'commit_invalid') return false;
    if (this.#rejectedOn.has(badKey)) return true;
    const base = ledger.getEpoch(baseKey) as PublicEpoch;
    const bad = ledger.getEpoch(badKey) as PublicEpoch;
    if (this.#rejectDuty?.commit !== badKey) this.#rejectDuty = { commit: badKey, since: now };
    const order = computeDutyOrder(this.#cs, base, new Set([bad.change?.committer ?? -1]));
    const position = order.indexOf(world.leaf);
    if (position < 0) return true;
    const deadline = computeDutyDeadline(this.#rejectDuty.since, position, this.#interval, false);
    if (now < deadline) {
      fx.wakeAt = fx.wakeAt === undefined ? deadline : Math.min(fx.wakeAt, deadline);
      return true;
    }
    this.#rejectedOn.add(badKey);
    try {
      this.#makeCommit(ledger, base, world, { removes: [], adds: [], updates: [] }, [badKey], now, fx);
    } catch (e) {
      this.#reject(fx, e instanceof MergeError ? e : new MergeError('world_failed', e instanceof Error ? e.message : String(e), undefined, codeOf(e)));
    }
    return true;
  }

  /** A stranded member (a member of the head without a world for it, with no way to get one) asks to be re-added. */
  #maybeRejoin(ledger: PublicLedger, head: PublicEpoch, now: number, fx: MergeEffects): void {
    if (this.#rejoinOn.has(head.key)) return;
    // Walk back the canonical chain to the epoch we could not process.
    let stranded = false;
    for (let i = ledger.chain.length - 1; i >= 0; i--) {
      const k = ledger.chain[i] as string;
      if (this.#worlds.has(k)) break;
      const e = ledger.getEpoch(k) as PublicEpoch;
      if (!e.leafOf.has(this.id)) break;
      const why = this.#noWorld.get(k);
      if (why !== undefined && why !== 'no_world' && why !== 'removed') {
        stranded = true;
        break;
      }
      if (ledger.chain.length - i > this.#policy.forkHorizon) {
        stranded = true;
        break;
      }
    }
    if (!stranded) return;
    this.#rejoinOn.add(head.key);
    try {
      const own = createOwnKeyPackage(this.#cs, this.#keys);
      this.#rememberOwn(own);
      const body = buildRejoinProposal(this.#cs, head, own, this.#keys);
      const checked = this.#build('proposal', head.key, undefined, body);
      this.#ingestOwn(checked, now, fx);
    } catch (e) {
      this.#reject(fx, e instanceof MergeError ? e : new MergeError('world_failed', e instanceof Error ? e.message : String(e), undefined, codeOf(e)));
    }
  }
}

function encodeWelcomeMessage(welcome: Welcome): Uint8Array {
  return encodeMlsMessage({ wireFormat: 'welcome', welcome });
}
