import type { CID } from 'multiformats/cid';
import { cidFromKey, cidKey } from './cid.ts';
import { getEventGroup } from './event.ts';
import type { EventBlock } from './event.ts';
import type { AddResult, DagStore } from './store.ts';

/** Announces a replica's heads of a group; `reply` marks an answer to another announcement. */
export interface HeadsMessage {
  readonly type: 'heads';
  readonly group: CID;
  readonly heads: readonly CID[];
  readonly reply?: boolean;
}

/**
 * Asks for the events that are ancestors-or-self of `want` and not ancestors-or-self of `have`.
 * `cursor` continues an earlier answer that said `more`.
 */
export interface FetchMessage {
  readonly type: 'fetch';
  readonly group: CID;
  readonly want: readonly CID[];
  readonly have: readonly CID[];
  readonly cursor?: string;
}

/** At most `maxBatch` events in topological order; `more` is the cursor of the rest, if any. */
export interface EventsMessage {
  readonly type: 'events';
  readonly group: CID;
  readonly events: readonly EventBlock[];
  readonly more?: string;
}

/** A new event sent unasked. */
export interface PushMessage {
  readonly type: 'push';
  readonly group: CID;
  readonly event: EventBlock;
}

/** Every message of the replication protocol. */
export type SyncMessage = HeadsMessage | FetchMessage | EventsMessage | PushMessage;

/** Limits of the sync handlers. */
export interface SyncLimits {
  /** Events per answer (default and maximum 50). */
  readonly maxBatch?: number;
  /** CIDs read from `want` and from `have` (default 64 each); the rest is ignored. */
  readonly maxListed?: number;
  /** Gap fill behind a push: most fetch rounds (default 32). */
  readonly maxGapRounds?: number;
  /** Gap fill behind a push: most events received (default 1,600). */
  readonly maxGapEvents?: number;
  /** Answers whose rest is kept for a cursor (default 16). */
  readonly maxCursors?: number;
  /** Answers in a row that add nothing new before a walk is given up (default 8). */
  readonly maxIdleRounds?: number;
  /** Events one fetch (with its cursor) serves before the requester must ask again (default 5,000). */
  readonly maxPerFetch?: number;
}

/** What handling one message did: the messages to send back, ingest results, and a note when a walk stopped. */
export interface SyncOutcome {
  readonly replies: SyncMessage[];
  readonly results: AddResult[];
  /** Set when a gap fill was abandoned because it hit a bound. */
  readonly abandoned?: string;
}

interface Session {
  readonly bounded: boolean;
  want: string[];
  rounds: number;
  events: number;
  idle: number;
}

/**
 * Transport-free replication handlers over one store; a site wraps them in HTTP, the simulator in its
 * in-memory network. Pull-based: a replica that learns of unknown heads (by `heads` or by a `push`
 * whose parents are unknown) asks for them with `fetch`, the peer answers lowest-first in bounded
 * batches, and the replica keeps asking while each answer makes progress. A gap walk started by a push,
 * or by heads that are all known while pending events still miss ancestors, is bounded in rounds and
 * events, so a peer cannot make a replica walk forever.
 */
export class DagSync {
  readonly store: DagStore;
  readonly #maxBatch: number;
  readonly #maxListed: number;
  readonly #maxGapRounds: number;
  readonly #maxGapEvents: number;
  readonly #maxCursors: number;
  readonly #maxIdleRounds: number;
  readonly #maxPerFetch: number;
  readonly #sessions = new Map<string, Session>();
  readonly #cursors = new Map<string, { group: string; rest: CID[] }>();
  #cursorSeq = 0;

  constructor(store: DagStore, limits: SyncLimits = {}) {
    this.store = store;
    this.#maxBatch = Math.min(50, Math.max(1, limits.maxBatch ?? 50));
    this.#maxListed = limits.maxListed ?? 64;
    this.#maxGapRounds = limits.maxGapRounds ?? 32;
    this.#maxGapEvents = limits.maxGapEvents ?? 1600;
    this.#maxCursors = limits.maxCursors ?? 16;
    this.#maxIdleRounds = limits.maxIdleRounds ?? 8;
    this.#maxPerFetch = limits.maxPerFetch ?? 5_000;
  }

  /** Our heads of a group, to send to a peer. */
  async makeHeads(group: CID): Promise<HeadsMessage> {
    return { type: 'heads', group, heads: await this.store.getHeads(group) };
  }

  /** A push of a stored event, to send to peers. */
  async makePush(cid: CID): Promise<PushMessage | undefined> {
    const meta = await this.store.getMeta(cid);
    const bytes = await this.store.getBlock(cid);
    return meta && bytes ? { type: 'push', group: meta.group, event: { cid, bytes } } : undefined;
  }

  /** Handles one message from `peer` (any stable name of the sender). */
  async handle(peer: string, message: SyncMessage): Promise<SyncOutcome> {
    switch (message.type) {
      case 'heads':
        return this.#onHeads(peer, message);
      case 'fetch':
        return { replies: [await this.#onFetch(message)], results: [] };
      case 'events':
        return this.#onEvents(peer, message);
      case 'push':
        return this.#onPush(peer, message);
    }
  }

  async #unknown(cids: readonly CID[]): Promise<string[]> {
    const out: string[] = [];
    for (const c of cids.slice(0, this.#maxListed)) {
      const k = cidKey(c);
      if (!this.store.pending.has(k) && !(await this.store.has(c))) out.push(k);
    }
    return out.sort();
  }

  async #fetchFor(group: CID, want: readonly string[]): Promise<FetchMessage> {
    const have = await this.store.getSyncMarkers(group, this.#maxListed);
    return { type: 'fetch', group, want: want.slice(0, this.#maxListed).map(cidFromKey), have };
  }

  async #onHeads(peer: string, m: HeadsMessage): Promise<SyncOutcome> {
    const replies: SyncMessage[] = [];
    if (!m.reply) replies.push({ ...(await this.makeHeads(m.group)), reply: true });
    const unknown = await this.#unknown(m.heads);
    if (unknown.length > 0) {
      // Unknown heads: fetch them (the walk also asks for what pending events wait for, see #onEvents).
      this.#sessions.set(sessionKey(peer, m.group), { bounded: false, want: unknown, rounds: 0, events: 0, idle: 0 });
      replies.push(await this.#fetchFor(m.group, unknown));
    } else {
      // Every head is known, but events in the pending pool may still wait for ancestors this peer
      // holds (it announced heads older than what it has, or the events came from someone else):
      // ask for them with the bounds of a gap fill, since nothing says this peer has them.
      const missing = await this.#missingOf(m.group);
      if (missing.length > 0) {
        this.#sessions.set(sessionKey(peer, m.group), { bounded: true, want: missing, rounds: 0, events: 0, idle: 0 });
        replies.push(await this.#fetchFor(m.group, missing));
      }
    }
    return { replies, results: [] };
  }

  async #onFetch(m: FetchMessage): Promise<EventsMessage> {
    const groupKey = cidKey(m.group);
    let list: CID[] | undefined;
    if (m.cursor !== undefined) {
      const saved = this.#cursors.get(m.cursor);
      this.#cursors.delete(m.cursor);
      if (saved && saved.group === groupKey) list = saved.rest;
    }
    if (!list) {
      const want: CID[] = [];
      for (const c of m.want.slice(0, this.#maxListed)) if ((await this.store.getMeta(c))?.group.equals(m.group)) want.push(c);
      list = want.length === 0 ? [] : await this.store.getEventsSince(m.group, m.have.slice(0, this.#maxListed), want);
      // Bounds what a cursor keeps; the requester asks again (with new markers) for the rest.
      list = list.slice(0, this.#maxPerFetch);
    }
    const events: EventBlock[] = [];
    for (const cid of list.slice(0, this.#maxBatch)) {
      const bytes = await this.store.getBlock(cid);
      if (bytes) events.push({ cid, bytes });
    }
    const rest = list.slice(this.#maxBatch);
    if (rest.length === 0) return { type: 'events', group: m.group, events };
    const cursor = `c${++this.#cursorSeq}`;
    this.#cursors.set(cursor, { group: groupKey, rest });
    while (this.#cursors.size > this.#maxCursors) {
      const oldest = this.#cursors.keys().next();
      if (oldest.done) break;
      this.#cursors.delete(oldest.value);
    }
    return { type: 'events', group: m.group, events, more: cursor };
  }

  async #onPush(peer: string, m: PushMessage): Promise<SyncOutcome> {
    // Events name no group (format v2): the message's group places the event until its parents are known.
    const results = await this.store.addMany([{ bytes: m.event.bytes, cid: m.event.cid, group: m.group }]);
    const first = results[0];
    if (first?.status !== 'pending') return { replies: [], results };
    const want = await this.#missingOf(m.group);
    this.#sessions.set(sessionKey(peer, m.group), { bounded: true, want, rounds: 0, events: 0, idle: 0 });
    return { replies: want.length > 0 ? [await this.#fetchFor(m.group, want)] : [], results };
  }

  async #onEvents(peer: string, m: EventsMessage): Promise<SyncOutcome> {
    const key = sessionKey(peer, m.group);
    const session = this.#sessions.get(key);
    if (!session) return { replies: [], results: [] }; // unasked answers are ignored
    const events = m.events.slice(0, this.#maxBatch);
    session.rounds += 1;
    session.events += events.length;
    const results = await this.store.addMany(events.filter((e) => e.bytes instanceof Uint8Array).map((e) => ({ bytes: e.bytes, cid: e.cid, group: m.group })));
    const progress = results.some((r) => r.status === 'accepted');
    if (session.bounded && (session.rounds >= this.#maxGapRounds || session.events >= this.#maxGapEvents)) {
      this.#sessions.delete(key);
      const why = `gap fill from ${peer} stopped after ${session.rounds} rounds and ${session.events} events (limits ${this.#maxGapRounds} rounds, ${this.#maxGapEvents} events)`;
      return { replies: [], results, abandoned: why };
    }
    const still = [...new Set([...(await this.#unknown(session.want.map(cidFromKey))), ...(await this.#missingOf(m.group))])].sort();
    if (still.length === 0) {
      this.#sessions.delete(key);
      return { replies: [], results };
    }
    // Answers come lowest first, so an honest peer's answers soon connect to what we hold; a peer
    // that keeps sending nothing new is cut off.
    session.idle = progress ? 0 : session.idle + 1;
    if (events.length === 0 || session.idle > this.#maxIdleRounds || (!progress && m.more === undefined)) {
      this.#sessions.delete(key);
      return { replies: [], results, abandoned: `peer ${peer} answered without progress; ${still.length} event(s) still missing` };
    }
    if (m.more !== undefined) {
      return { replies: [{ ...(await this.#fetchFor(m.group, session.want)), cursor: m.more }], results };
    }
    session.want = still;
    return { replies: [await this.#fetchFor(m.group, still)], results };
  }

  /** Parents that pending events of the group wait for and that nobody has supplied. */
  async #missingOf(group: CID): Promise<string[]> {
    const out = new Set<string>();
    for (const e of this.store.pending.entries()) {
      if (!getEventGroup(e.checked)?.equals(group)) continue;
      for (const k of e.missing) if (!this.store.pending.has(k)) out.add(k);
    }
    return [...out].sort();
  }
}

function sessionKey(peer: string, group: CID): string {
  return `${peer}\u0000${cidKey(group)}`;
}
