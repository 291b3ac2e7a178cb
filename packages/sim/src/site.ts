// A site: one DagStore replica, DagSync sessions with its peer sites, and a relay of every accepted
// event to the devices it hosts. A site validates and replicates but never holds a group secret: it
// only ever sees encoded events (DESIGN.md invariant 4).
//
// Replication: a new event is pushed to every reachable peer at once. Pushes can be lost, so a site
// also keeps a per-peer "may be out of sync" mark, set by every accept and by a link coming up, and
// cleared when the peer answers a heads exchange with exactly our heads. While the mark is set and
// the link is up, the site repeats the heads exchange every sync interval; DagSync fetches whatever
// either side lacks. Loss therefore delays replication but never loses an event, and once every
// replica holds the same events no timer is left, so the simulation goes quiet.

import type { AddResult, CID, DagStore, DagSync, EventBlock, SyncMessage } from '@weft/dag';
import { cidKey, getEventGroup } from '@weft/dag';

/** What a site needs from the simulation around it. */
export interface SiteEnvironment {
  /** Current simulated time. */
  now(): number;
  /** Schedules a timer callback of this site. */
  schedule(at: number, label: string, run: () => Promise<void>): void;
  /** True when this site can currently reach `peer`. */
  isConnected(peer: string): boolean;
  /** Sends a sync message to a peer site (may be lost). */
  sendToPeer(peer: string, message: SyncMessage): void;
  /** Hands an accepted event to one hosted device (the runner handles latency and offline devices). */
  relayToDevice(device: string, block: EventBlock): void;
}

/** One event the site refused, for the report. */
export interface SiteRejection {
  readonly cid?: string;
  readonly from: string;
  readonly code: string;
  readonly message: string;
}

/** A replica site in the simulation. */
export class Site {
  readonly name: string;
  readonly store: DagStore;
  readonly sync: DagSync;
  readonly peers: readonly string[];
  readonly devices: readonly string[];
  readonly rejections: SiteRejection[] = [];
  /** Gap fills DagSync gave up (the retry timer covers them). */
  readonly abandoned: string[] = [];
  readonly #env: SiteEnvironment;
  readonly #syncIntervalMs: number;
  readonly #groups = new Map<string, CID>();
  /** Per peer: groups we may be out of sync on. */
  readonly #dirty = new Map<string, Set<string>>();
  readonly #timers = new Set<string>();

  constructor(name: string, store: DagStore, sync: DagSync, peers: readonly string[], devices: readonly string[], syncIntervalMs: number, env: SiteEnvironment) {
    this.name = name;
    this.store = store;
    this.sync = sync;
    this.peers = peers;
    this.devices = devices;
    this.#syncIntervalMs = syncIntervalMs;
    this.#env = env;
  }

  /** Group ids this site holds. */
  get groups(): CID[] {
    return [...this.#groups.values()];
  }

  /** Takes an event published by one of its devices; accepted events are relayed and pushed. */
  async receiveFromDevice(device: string, bytes: Uint8Array): Promise<AddResult[]> {
    const results = await this.store.add(bytes);
    await this.#afterResults(results, device, true);
    return results;
  }

  /** Handles one sync message from a peer site. */
  async receiveFromPeer(peer: string, message: SyncMessage): Promise<void> {
    const outcome = await this.sync.handle(peer, message);
    if (outcome.abandoned) this.abandoned.push(outcome.abandoned);
    for (const reply of outcome.replies) this.#env.sendToPeer(peer, reply);
    await this.#afterResults(outcome.results, `site:${peer}`, false);
    if (message.type === 'heads') {
      const same = await this.#compareHeads(peer, message.group, message.heads, message.reply === true);
      if (!same) await this.#restartGapFill(peer, message.group);
    }
  }

  /**
   * DagSync treats an event waiting in the pending pool as known when it sees it among a peer's
   * heads, so a lost gap-fill answer would leave it waiting forever. Re-offering one waiting event
   * as if the peer had pushed it makes DagSync ask that peer for the missing ancestors again.
   */
  async #restartGapFill(peer: string, group: CID): Promise<void> {
    for (const e of this.store.pending.entries()) {
      if (!getEventGroup(e.checked)?.equals(group)) continue;
      const outcome = await this.sync.handle(peer, { type: 'push', group, event: { cid: e.checked.cid, bytes: e.checked.bytes } });
      for (const reply of outcome.replies) this.#env.sendToPeer(peer, reply);
      await this.#afterResults(outcome.results, `site:${peer}`, false);
      return;
    }
  }

  /** The link to `peer` came up (a heal): exchange heads at once and keep at it until in sync. */
  linkUp(peer: string): void {
    for (const g of this.#groups.keys()) this.#mark(peer, g);
    void this.#sendHeads(peer);
    this.#ensureTimer(peer);
  }

  async #afterResults(results: readonly AddResult[], from: string, push: boolean): Promise<void> {
    for (const r of results) {
      if (r.status === 'rejected' || r.status === 'evicted') {
        this.rejections.push({ ...(r.cid ? { cid: r.cid.toString() } : {}), from, code: r.error.code, message: r.error.message });
        continue;
      }
      if (r.status !== 'accepted') continue;
      const meta = await this.store.getMeta(r.cid);
      const bytes = await this.store.getBlock(r.cid);
      if (!meta || !bytes) continue;
      const gk = cidKey(meta.group);
      if (!this.#groups.has(gk)) this.#groups.set(gk, meta.group);
      const block: EventBlock = { cid: r.cid, bytes };
      for (const d of this.devices) if (d !== from) this.#env.relayToDevice(d, block);
      for (const p of this.peers) {
        if (push && this.#env.isConnected(p)) this.#env.sendToPeer(p, { type: 'push', group: meta.group, event: block });
        this.#mark(p, gk);
        this.#ensureTimer(p);
      }
    }
  }

  #mark(peer: string, group: string): void {
    let set = this.#dirty.get(peer);
    if (!set) this.#dirty.set(peer, (set = new Set()));
    set.add(group);
  }

  #ensureTimer(peer: string): void {
    if (this.#timers.has(peer) || !this.#env.isConnected(peer) || !this.#dirty.get(peer)?.size) return;
    this.#timers.add(peer);
    this.#env.schedule(this.#env.now() + this.#syncIntervalMs, `sync ${this.name}->${peer}`, async () => {
      this.#timers.delete(peer);
      if (!this.#dirty.get(peer)?.size || !this.#env.isConnected(peer)) return;
      await this.#sendHeads(peer);
      this.#ensureTimer(peer);
    });
  }

  async #sendHeads(peer: string): Promise<void> {
    for (const [gk, group] of this.#groups) if (this.#dirty.get(peer)?.has(gk)) this.#env.sendToPeer(peer, await this.sync.makeHeads(group));
  }

  /** True when the peer's heads equal ours; an answer to our own heads then clears the out-of-sync mark. */
  async #compareHeads(peer: string, group: CID, theirs: readonly CID[], answer: boolean): Promise<boolean> {
    const ours = await this.store.getHeads(group);
    const same = ours.length === theirs.length && ours.every((c, i) => c.equals(theirs[i]));
    if (same && answer) this.#dirty.get(peer)?.delete(cidKey(group));
    return same;
  }
}

/** Rough wire size of a sync message: event bytes plus 36 bytes per CID named. */
export function measureSyncMessage(m: SyncMessage): number {
  switch (m.type) {
    case 'heads':
      return 40 + 36 * m.heads.length;
    case 'fetch':
      return 40 + 36 * (m.want.length + m.have.length);
    case 'events':
      return 40 + m.events.reduce((n, e) => n + e.bytes.length + 36, 0);
    case 'push':
      return 40 + m.event.bytes.length + 36;
  }
}
