import type { AbstractChainedBatchWriteOptions, AbstractLevel } from 'abstract-level';
import type { CID } from 'multiformats/cid';
import { EventError } from './errors.ts';
import { HANDSHAKE_KINDS, withGroupHint } from './event.ts';
import type { CheckedEvent, EventBlock, EventKind, EventMeta, SuiteResolver } from './event.ts';
import { cidFromKey, cidKey } from './cid.ts';
import { decodeEvent, getSigningPayloads } from './eventCodec.ts';
import { createInlineVerifier } from './verifyPool.ts';
import type { BatchVerifier, VerifyJob } from './verifyPool.ts';
import { attributeGroups, findEventGroup, getEventKeys, getGroupSuite, validateEvent, verifyEventSignature } from './validate.ts';
import type { EventKeys, KnownEvent, ValidationContext } from './validate.ts';
import { PendingPool, makePendingEntry } from './pendingPool.ts';
import type { PendingEntry, PendingPoolLimits } from './pendingPool.ts';

/** The abstract-level database a store runs on: utf8 keys, Uint8Array values (level or memory-level). */
export type DagDb = AbstractLevel<string | Buffer | Uint8Array, string, Uint8Array>;

/** What the `authorize` hook is asked about: a valid handshake, before it is stored. */
export interface AuthorizeRequest {
  readonly checked: CheckedEvent;
  readonly group: CID;
  readonly height: number;
}

/**
 * Membership check run before a handshake (genesis, proposal, commit) is accepted. Return false to
 * refuse it with 'unauthorized', or throw an EventError with a more precise reason. It must not write
 * to the store.
 */
export type AuthorizeHook = (request: AuthorizeRequest) => boolean | Promise<boolean>;

/** Options of a store. */
export interface DagStoreOptions {
  /** Maps a genesis `suite` id to its signature scheme. */
  readonly resolveSuite: SuiteResolver;
  readonly authorize?: AuthorizeHook;
  readonly pending?: PendingPoolLimits;
  /** Event metadata records kept in memory (default 20,000; parents and bases are usually recent). */
  readonly metaCacheSize?: number;
  /** Accepted events per write batch in `addMany` (default 256). */
  readonly batchSize?: number;
  /** fsync each batch (default false: a process crash loses nothing, an OS crash may). */
  readonly sync?: boolean;
  /** Signature checker for batches (default: in the calling thread); see createWorkerVerifier. */
  readonly verifier?: BatchVerifier;
}

/** A block offered to the store, optionally with the CID the sender named it by. */
export interface IncomingBlock {
  readonly bytes: Uint8Array;
  readonly cid?: CID;
  /** The group the sender delivered it for (a sync message names it): places the event while its parents are unknown; refused unless its parents are in it. */
  readonly group?: CID;
}

/** What happened to one offered event. */
export type AddResult =
  | { readonly status: 'accepted'; readonly cid: CID; readonly height: number }
  | { readonly status: 'duplicate'; readonly cid: CID }
  | { readonly status: 'pending'; readonly cid: CID; readonly missing: readonly CID[] }
  | { readonly status: 'rejected'; readonly cid?: CID; readonly error: EventError }
  | { readonly status: 'evicted'; readonly cid: CID; readonly error: EventError };

/** Group summary. */
export interface GroupInfo {
  readonly group: CID;
  readonly suite: number;
  readonly events: number;
}

/** A fork: a base epoch with two or more commits (or, on request, handshakes) built on it. */
export interface Fork {
  readonly base: CID;
  /** The competing children, sorted by CID bytes. */
  readonly commits: readonly CID[];
}

/** Options of one ingest call. */
export interface IngestOptions {
  /** Validate only: nothing is written, the pending pool of the store is untouched. */
  readonly dryRun?: boolean;
  /** Pending pool to use instead of the store's (imports use a private one). */
  readonly pool?: PendingPool;
  /** Keys (`cidKey`) of events whose signatures this caller already verified (an import's dry run). */
  readonly preverified?: ReadonlySet<string>;
}

const EMPTY = new Uint8Array(0);
const enc = new TextEncoder();
const dec = new TextDecoder();
const END = '~'; // sorts after every key character used ('!', hex digits)

/**
 * Stored metadata of an event (JSON: g group, k kind, h height, p parent keys, b base key). It is
 * also the KnownEvent validation looks up, through getters that JSON.stringify does not see, so a
 * lookup allocates nothing.
 */
class MetaRecord implements KnownEvent {
  constructor(
    readonly g: string,
    readonly k: EventKind,
    readonly h: number,
    readonly p: readonly string[],
    readonly b: string | undefined,
  ) {}
  get group(): string {
    return this.g;
  }
  get kind(): EventKind {
    return this.k;
  }
  get height(): number {
    return this.h;
  }
}

interface GroupRecord {
  readonly suite: number;
  events: number;
  /** Keys of the group's heads (events without children). */
  heads: Set<string>;
}

function encodeGroup(rec: GroupRecord): Uint8Array {
  return enc.encode(JSON.stringify({ suite: rec.suite, events: rec.events, heads: [...rec.heads].sort() }));
}

function decodeGroup(v: Uint8Array): GroupRecord {
  const raw = JSON.parse(dec.decode(v)) as { suite: number; events: number; heads: string[] };
  return { suite: raw.suite, events: raw.events, heads: new Set(raw.heads) };
}

function copyGroup(rec: GroupRecord): GroupRecord {
  return { suite: rec.suite, events: rec.events, heads: new Set(rec.heads) };
}

/** Event record value: 4-byte metadata length, metadata JSON, then the block bytes. */
function encodeRecord(meta: MetaRecord, block: Uint8Array): Uint8Array {
  // The JSON is ASCII (store keys, a kind, numbers), so its length is its byte length: it is
  // written straight into the record, one allocation per event.
  // Same text as JSON.stringify(meta), built directly: every value is a store key (base64 or hex
  // characters and '!'), a kind, or a number, so nothing needs escaping.
  const parents = meta.p.length === 0 ? '' : `"${meta.p.join('","')}"`;
  const json = `{"g":"${meta.g}","k":"${meta.k}","h":${meta.h},"p":[${parents}]${meta.b === undefined ? '' : `,"b":"${meta.b}"`}}`;
  const out = new Uint8Array(4 + json.length + block.length);
  const n = json.length;
  out[0] = n >>> 24;
  out[1] = (n >>> 16) & 255;
  out[2] = (n >>> 8) & 255;
  out[3] = n & 255;
  enc.encodeInto(json, out.subarray(4, 4 + n));
  out.set(block, 4 + n);
  return out;
}

function decodeRecordMeta(v: Uint8Array): MetaRecord {
  const n = new DataView(v.buffer, v.byteOffset, v.byteLength).getUint32(0);
  const r = JSON.parse(dec.decode(v.subarray(4, 4 + n))) as { g: string; k: EventKind; h: number; p: string[]; b?: string };
  return new MetaRecord(r.g, r.k, r.h, r.p, r.b);
}

function decodeRecordBlock(v: Uint8Array): Uint8Array {
  const n = new DataView(v.buffer, v.byteOffset, v.byteLength).getUint32(0);
  return v.subarray(4 + n);
}

type ChainedBatch = ReturnType<DagDb['batch']>;
const NO_RECORDS: ReadonlyMap<string, MetaRecord> = new Map();
const NO_BLOCKS: ReadonlyMap<string, Uint8Array> = new Map();
/** Chunks prepared (decoded, records read, signatures sent to the verifier) ahead of the one being stored. */
const PIPELINE_DEPTH = 3;

/** Keys of the records an event refers to: itself, its parents, base and resolved commits. */
function refsOf(keys: EventKeys): string[] {
  const refs = [keys.self, ...keys.parents];
  if (keys.base !== undefined) refs.push(keys.base);
  for (const r of keys.resolves ?? []) refs.push(r);
  return refs;
}


/** Fixed-width hex height, so key order is height order. */
function heightKey(h: number): string {
  return h.toString(16).padStart(8, '0');
}

function recordToMeta(key: string, r: MetaRecord): EventMeta {
  return {
    cid: cidFromKey(key),
    group: cidFromKey(r.g),
    kind: r.k,
    height: r.h,
    parents: r.p.map(cidFromKey),
    ...(r.b !== undefined ? { base: cidFromKey(r.b) } : {}),
  };
}

/** Binary max-heap on (height, key), used to walk a DAG from its heads downwards. */
class HeightHeap {
  readonly #items: { h: number; k: string }[] = [];
  get size(): number {
    return this.#items.length;
  }
  push(h: number, k: string): void {
    const a = this.#items;
    a.push({ h, k });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(a[p]!, a[i]!)) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): { h: number; k: string } | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.#less(a[m]!, a[l]!)) m = l;
        if (r < a.length && this.#less(a[m]!, a[r]!)) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
  #less(x: { h: number; k: string }, y: { h: number; k: string }): boolean {
    return x.h < y.h || (x.h === y.h && x.k < y.k);
  }
}

/**
 * The replica of event DAGs on an abstract-level database. Keys:
 * `e!cid` metadata and block, `c!parent!child` children, `f!group!base!cid` handshakes by base
 * (fork index), `t!group!height!cid` topological order, `g!group` group record with its heads.
 * CIDs appear as hex of their bytes, so key order is CID byte order. Every accept is part of
 * exactly one atomic batch, which also rewrites the group record (counts, heads).
 */
export class DagStore {
  readonly db: DagDb;
  readonly pending: PendingPool;
  readonly #opts: DagStoreOptions;
  readonly #cache = new Map<string, MetaRecord>();
  readonly #cacheSize: number;
  readonly #groups = new Map<string, GroupRecord>();
  #overlay = new Map<string, MetaRecord>();
  #overlayBlocks = new Map<string, Uint8Array>();
  // The batch being written while the next one fills (see #ingest's flush).
  #writingOverlay: ReadonlyMap<string, MetaRecord> = NO_RECORDS;
  #writingBlocks: ReadonlyMap<string, Uint8Array> = NO_BLOCKS;
  #absent = new Set<string>();
  #lock: Promise<unknown> = Promise.resolve();
  readonly #verifier: BatchVerifier;

  private constructor(db: DagDb, opts: DagStoreOptions) {
    this.db = db;
    this.#opts = opts;
    this.pending = new PendingPool(opts.pending);
    this.#cacheSize = opts.metaCacheSize ?? 20_000;
    this.#verifier = opts.verifier ?? createInlineVerifier(opts.resolveSuite);
  }

  /** Opens a store on `db` (opening the database if needed). */
  static async open(db: DagDb, opts: DagStoreOptions): Promise<DagStore> {
    if (db.status !== 'open') await db.open();
    return new DagStore(db, opts);
  }

  /** Closes the underlying database. */
  async close(): Promise<void> {
    await this.#lock.catch(() => undefined);
    await this.db.close();
  }

  /** Runs `fn` after every earlier exclusive operation (writes are serialised). */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  /** Offers one event; see AddResult. Returns results for it and for pending events it released. */
  async add(bytes: Uint8Array, cid?: CID): Promise<AddResult[]> {
    return this.addMany([cid ? { bytes, cid } : { bytes }]);
  }

  /**
   * Offers events in order. Accepted events are written in atomic batches; when the promise resolves,
   * every 'accepted' result is durable. Results cover the offered events and any released from the pool.
   */
  async addMany(blocks: Iterable<IncomingBlock>, options: IngestOptions = {}): Promise<AddResult[]> {
    return this.#exclusive(() => this.#ingest(blocks, options));
  }

  /** Validates a sequence of events as if adding them, without writing anything. */
  async check(blocks: Iterable<IncomingBlock>, pool?: PendingPool): Promise<AddResult[]> {
    return this.addMany(blocks, { dryRun: true, pool: pool ?? new PendingPool({ maxCount: 1_000_000, maxBytes: 1 << 30 }) });
  }

  /** Retries pending events whose parents are present now (after an import, say). */
  async retryPending(): Promise<AddResult[]> {
    return this.#exclusive(async () => {
      const blocks: IncomingBlock[] = [];
      for (const e of this.pending.entries()) {
        const stillMissing = [...e.missing].filter((k) => !this.#known(k));
        const known = await this.db.getMany(stillMissing.map((k) => `e!${k}`));
        if (known.every((v) => v !== undefined)) {
          this.pending.remove(e.key);
          blocks.push({ bytes: e.checked.bytes, cid: e.checked.cid, ...(e.checked.groupHint ? { group: e.checked.groupHint } : {}) });
        }
      }
      return this.#ingest(blocks, {});
    });
  }

  async #ingest(blocks: Iterable<IncomingBlock>, options: IngestOptions): Promise<AddResult[]> {
    const dryRun = options.dryRun === true;
    const pool = options.pool ?? (dryRun ? new PendingPool(this.#opts.pending) : this.pending);
    const verifier = this.#verifier;
    const batchSize = this.#opts.batchSize ?? 256;
    const results: AddResult[] = [];
    // The batch being filled; the previous one may still be writing meanwhile (see flush).
    let batch: ChainedBatch | undefined;
    let acceptedInBatch = 0;
    const dirtyGroups = new Set<string>();
    // Group records as they were before the batch being filled first touched them.
    let snapshots = new Map<string, GroupRecord | undefined>();
    let writing: { done: Promise<void>; snapshots: Map<string, GroupRecord | undefined> } | undefined;

    /** Waits for the write in flight; its events are then durable and move to the cache. */
    const settle = async (): Promise<void> => {
      const w = writing;
      if (!w) return;
      await w.done;
      writing = undefined;
    };

    /**
     * Starts writing the filled batch (after the previous write ends) and returns without waiting
     * for it, so the next events are validated while LevelDB writes: one write in flight at most.
     */
    const flush = async (): Promise<void> => {
      if (dryRun || !batch) return;
      await settle();
      for (const g of dirtyGroups) {
        const rec = this.#groups.get(g);
        if (rec) batch.put(`g!${g}`, encodeGroup(rec));
      }
      const b = batch;
      const written = this.#overlay;
      batch = undefined;
      this.#writingOverlay = written;
      this.#writingBlocks = this.#overlayBlocks;
      this.#overlay = new Map();
      this.#overlayBlocks = new Map();
      const done = b.write({ sync: this.#opts.sync === true } as AbstractChainedBatchWriteOptions).then(() => {
        for (const [k, r] of written) this.#remember(k, r);
        this.#writingOverlay = NO_RECORDS;
        this.#writingBlocks = NO_BLOCKS;
      });
      done.catch(() => undefined); // awaited by settle(); avoid an unhandled rejection meanwhile
      writing = { done, snapshots };
      snapshots = new Map();
      dirtyGroups.clear();
      acceptedInBatch = 0;
    };

    const accept = (checked: CheckedEvent, key: string, group: string, height: number): void => {
      const { event } = checked;
      const keys = getEventKeys(checked);
      const rec = new MetaRecord(group, event.kind, height, keys.parents, keys.base);
      this.#overlay.set(key, rec);
      this.#overlayBlocks.set(key, checked.bytes);
      this.#absent.delete(key);
      if (!dryRun) {
        // A chained batch costs about half as much per operation as an array batch in abstract-level.
        const b = (batch ??= this.db.batch());
        b.put(`e!${key}`, encodeRecord(rec, checked.bytes));
        b.put(`t!${group}!${heightKey(height)}!${key}`, EMPTY);
        for (const p of rec.p) b.put(`c!${p}!${key}`, EMPTY);
        if (rec.b !== undefined && HANDSHAKE_KINDS.has(event.kind)) b.put(`f!${group}!${rec.b}!${key}`, enc.encode(event.kind));
      }
      if (!snapshots.has(group)) {
        const g = this.#groups.get(group);
        snapshots.set(group, g ? copyGroup(g) : undefined);
      }
      if (event.kind === 'genesis') this.#groups.set(group, { suite: event.suite ?? 0, events: 0, heads: new Set() });
      const g = this.#groups.get(group);
      if (g) {
        g.events += 1;
        for (const p of rec.p) g.heads.delete(p);
        g.heads.add(key);
      }
      dirtyGroups.add(group);
      acceptedInBatch += 1;
    };

    const unverified: ValidationContext = {
      lookup: (k) => this.#lookupSync(k),
      resolveSuite: this.#opts.resolveSuite,
      groupSuite: (g) => this.#groups.get(g)?.suite,
      signatureVerified: false,
    };
    const verifiedCtx: ValidationContext = { ...unverified, signatureVerified: true };
    const ctx = (signatureVerified: boolean): ValidationContext => (signatureVerified ? verifiedCtx : unverified);

    // Events released from the pool by an accept, processed right after the event that freed them.
    const work: { checked: CheckedEvent; verified: boolean }[] = [];

    // One offered or released event. Synchronous unless a record must be read or the authorize hook
    // is asynchronous: no promise per event on the common path.
    const processOne = (checked: CheckedEvent, verified: boolean): void | Promise<void> => {
      const keys = getEventKeys(checked);
      if (this.#needsLoadFor(keys)) return this.#ensureLoaded(refsOf(keys)).then(() => processLoaded(checked, keys, verified));
      return processLoaded(checked, keys, verified);
    };

    const processLoaded = (checked: CheckedEvent, keys: EventKeys, verified: boolean): void | Promise<void> => {
      const key = keys.self;
      if (this.#lookupSync(key)) {
        results.push({ status: 'duplicate', cid: checked.cid });
        return;
      }
      const existing = pool.get(key);
      if (existing) {
        results.push({ status: 'pending', cid: checked.cid, missing: [...existing.missing].sort().map(cidFromKey) });
        return;
      }
      const groupKey = findEventGroup(checked, (k) => this.#lookupSync(k));
      if (groupKey !== undefined && checked.event.kind !== 'genesis' && !this.#groups.has(groupKey)) return this.#ensureGroup(groupKey).then(() => processInGroup(checked, key, groupKey, verified));
      return processInGroup(checked, key, groupKey, verified);
    };

    const processInGroup = (checked: CheckedEvent, key: string, groupKey: string | undefined, verified: boolean): void | Promise<void> => {
      const { event } = checked;
      const outcome = validateEvent(checked, ctx(verified));
      if (outcome.status === 'missing') {
        // Verify now when the group is known, so forged events never occupy the pool.
        let sigOk = verified;
        if (!sigOk && groupKey !== undefined && this.#groups.has(groupKey)) {
          verifyEventSignature(checked, getGroupSuite(ctx(false), groupKey, checked.cid));
          sigOk = true;
        }
        const entry = makePendingEntry(checked, outcome.missing.map(cidKey), sigOk);
        const evicted = pool.add(entry);
        if (!evicted.includes(entry)) results.push({ status: 'pending', cid: checked.cid, missing: outcome.missing });
        for (const e of evicted) results.push(evictedResult(e, pool));
        return;
      }
      const finish = (ok: boolean): void => {
        if (!ok) throw new EventError('unauthorized', `the author was not allowed to make this ${event.kind} in its base epoch`, checked.cid.toString());
        accept(checked, key, outcome.group, outcome.height);
        results.push({ status: 'accepted', cid: checked.cid, height: outcome.height });
        for (const ready of pool.release(key)) work.push({ checked: ready.checked, verified: ready.signatureVerified });
      };
      if (HANDSHAKE_KINDS.has(event.kind) && this.#opts.authorize) {
        const ok = this.#opts.authorize({ checked, group: cidFromKey(outcome.group), height: outcome.height });
        if (typeof ok !== 'boolean') return ok.then(finish);
        return finish(ok);
      }
      return finish(true);
    };

    const reject = (checked: CheckedEvent, e: unknown): void => {
      if (!(e instanceof EventError)) throw e;
      results.push({ status: 'rejected', cid: checked.cid, error: e });
    };
    const runOne = (checked: CheckedEvent, verified: boolean): void | Promise<void> => {
      try {
        const pending = processOne(checked, verified);
        if (pending) return pending.catch((e: unknown) => reject(checked, e));
      } catch (e) {
        reject(checked, e);
      }
    };

    // Chunks are prepared (decoded, their records loaded in one read, their signatures handed to the
    // verifier) up to PIPELINE_DEPTH chunks ahead of the one being validated and stored, so worker
    // threads always have signatures queued while this thread works.
    interface Prepared {
      chunk: IncomingBlock[];
      decoded: (CheckedEvent | EventError)[];
      verdicts: Promise<Map<CheckedEvent, EventError | true>>;
    }
    const genesisSuites = new Map<string, number>();
    const attributed = new Map<string, string>(); // groups of events prepared, not yet processed
    const prepare = async (chunk: IncomingBlock[]): Promise<Prepared> => {
      const decoded: (CheckedEvent | EventError)[] = chunk.map((block) => {
        try {
          const d = decodeEvent(block.bytes, block.cid);
          return block.group ? withGroupHint(d, block.group) : d;
        } catch (e) {
          if (!(e instanceof EventError)) throw e;
          return e;
        }
      });
      const keys: string[] = [];
      for (const d of decoded) {
        if (d instanceof EventError) continue;
        const k = getEventKeys(d);
        keys.push(k.self, ...k.parents);
        if (k.base !== undefined) keys.push(k.base);
        if (d.event.suite !== undefined) genesisSuites.set(k.self, d.event.suite);
      }
      await this.#ensureLoaded(keys);
      const groupOf = attributeGroups(decoded, (k) => this.#lookupSync(k), attributed);
      for (const g of new Set(groupOf)) if (g !== undefined && !this.#groups.has(g)) await this.#ensureGroup(g);
      const suites: number[] = [];
      const owners: CheckedEvent[] = [];
      const trusted: CheckedEvent[] = [];
      for (let i = 0; i < decoded.length; i++) {
        const d = decoded[i] as CheckedEvent | EventError;
        if (d instanceof EventError) continue;
        const k = getEventKeys(d);
        if (this.#lookupSync(k.self)) continue;
        if (options.preverified?.has(k.self)) {
          trusted.push(d);
          continue;
        }
        const g = groupOf[i];
        const suite = d.event.kind === 'genesis' ? d.event.suite : g === undefined ? undefined : (this.#groups.get(g)?.suite ?? genesisSuites.get(g));
        if (suite === undefined || !this.#opts.resolveSuite(suite)) continue;
        suites.push(suite);
        owners.push(d);
      }
      const payloads = getSigningPayloads(owners.map((d) => d.event));
      const jobs: VerifyJob[] = owners.map((d, i) => ({ suite: suites[i] as number, key: d.event.author.key, payload: payloads[i] as Uint8Array, sig: d.event.sig }));
      const verdicts = verifier.verifyMany(jobs).then((vs) => {
        const out = new Map<CheckedEvent, EventError | true>(trusted.map((d) => [d, true]));
        vs.forEach((v, i) => {
          const d = owners[i] as CheckedEvent;
          if (v === true) out.set(d, true);
          else if (v === false) out.set(d, new EventError('bad_signature', `signature does not verify under the author key (suite ${jobs[i]?.suite})`, d.cid.toString()));
          else if (typeof v === 'string') out.set(d, new EventError('bad_author_key', `author key is not a valid suite ${jobs[i]?.suite} signature key: ${v}`, d.cid.toString()));
        });
        return out;
      });
      verdicts.catch(() => undefined); // awaited in processPrepared(); avoid an unhandled rejection meanwhile
      return { chunk, decoded, verdicts };
    };

    const processPrepared = async (prepared: Prepared): Promise<void> => {
      if (verifier.helpOne) {
        // Rather than wait for the threads, verify queued pieces here (the next chunks' signatures
        // if this one's are already in the threads' hands), looking up between pieces.
        let ready = false;
        prepared.verdicts.then(
          () => (ready = true),
          () => (ready = true),
        );
        await Promise.resolve();
        while (!ready && verifier.helpOne()) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const verdicts = await prepared.verdicts;
      const { chunk, decoded } = prepared;
      for (let i = 0; i < decoded.length; i++) {
        const d = decoded[i] as CheckedEvent | EventError;
        if (d instanceof EventError) {
          const cid = chunk[i]?.cid;
          results.push({ status: 'rejected', ...(cid ? { cid } : {}), error: d });
          continue;
        }
        const verdict = verdicts.get(d);
        if (verdict instanceof EventError) results.push({ status: 'rejected', cid: d.cid, error: verdict });
        else {
          const pending = runOne(d, verdict === true);
          if (pending) await pending;
        }
        while (work.length > 0) {
          const next = work.shift()!;
          const pending = runOne(next.checked, next.verified);
          if (pending) await pending;
        }
      }
      for (const d of decoded) if (!(d instanceof EventError)) attributed.delete(getEventKeys(d).self);
      if (acceptedInBatch >= batchSize) await flush();
    };

    let failed = true;
    try {
      const ahead: Prepared[] = [];
      let chunk: IncomingBlock[] = [];
      const feed = async (c: IncomingBlock[]): Promise<void> => {
        ahead.push(await prepare(c));
        while (ahead.length > PIPELINE_DEPTH) await processPrepared(ahead.shift()!);
      };
      for (const block of blocks) {
        chunk.push(block);
        if (chunk.length >= batchSize) {
          await feed(chunk);
          chunk = [];
        }
      }
      if (chunk.length > 0) await feed(chunk);
      while (ahead.length > 0) await processPrepared(ahead.shift()!);
      await flush();
      await settle();
      failed = false;
    } finally {
      if (failed || dryRun) {
        // Nothing of this call stays visible unless written: drop what was not written and restore
        // the group records (the oldest snapshot wins: it is the state before any unwritten batch).
        let writeFailed = false;
        if (writing) {
          try {
            await writing.done;
          } catch {
            writeFailed = true;
          }
        }
        const restore = (snaps: Map<string, GroupRecord | undefined>): void => {
          for (const [g, snap] of snaps) {
            if (snap) this.#groups.set(g, snap);
            else this.#groups.delete(g);
          }
        };
        restore(snapshots);
        if (writeFailed && writing) restore(writing.snapshots);
        batch?.close().catch(() => undefined);
        this.#overlay = new Map();
        this.#overlayBlocks = new Map();
        this.#writingOverlay = NO_RECORDS;
        this.#writingBlocks = NO_BLOCKS;
      }
      this.#absent.clear();
    }
    return results;
  }

  #remember(key: string, rec: MetaRecord): void {
    this.#cache.set(key, rec);
    if (this.#cache.size > this.#cacheSize) {
      const oldest = this.#cache.keys().next();
      if (!oldest.done) this.#cache.delete(oldest.value);
    }
  }

  #lookupSync(key: string): KnownEvent | undefined {
    return this.#known(key);
  }

  /** Metadata of an event held in memory: unwritten, being written, or cached. */
  #known(key: string): MetaRecord | undefined {
    return this.#overlay.get(key) ?? this.#writingOverlay.get(key) ?? this.#cache.get(key);
  }

  /** True when the key's record must still be read (neither in memory nor known to be absent). */
  #unresolved(key: string): boolean {
    return !this.#overlay.has(key) && !this.#writingOverlay.has(key) && !this.#cache.has(key) && !this.#absent.has(key);
  }

  /** True when some record an event refers to (itself, parents, base, resolved commits) must still be read. */
  #needsLoadFor(keys: EventKeys): boolean {
    if (this.#unresolved(keys.self)) return true;
    for (const p of keys.parents) if (this.#unresolved(p)) return true;
    if (keys.base !== undefined && this.#unresolved(keys.base)) return true;
    for (const r of keys.resolves ?? []) if (this.#unresolved(r)) return true;
    return false;
  }

  /** Loads metadata records of the given keys into the cache (or marks them absent). */
  async #ensureLoaded(keys: readonly string[]): Promise<void> {
    const todo = keys.filter((k) => this.#unresolved(k));
    if (todo.length === 0) return;
    const values = await this.db.getMany(todo.map((k) => `e!${k}`));
    todo.forEach((k, i) => {
      const v = values[i];
      if (v === undefined) this.#absent.add(k);
      else this.#remember(k, decodeRecordMeta(v));
    });
  }

  async #ensureGroup(key: string): Promise<GroupRecord | undefined> {
    const known = this.#groups.get(key);
    if (known) return known;
    const v = await this.db.get(`g!${key}`);
    if (v === undefined) return undefined;
    const rec = decodeGroup(v);
    this.#groups.set(key, rec);
    return rec;
  }

  async #getRecord(key: string): Promise<MetaRecord | undefined> {
    const r = this.#known(key);
    if (r) return r;
    const v = await this.db.get(`e!${key}`);
    if (v === undefined) return undefined;
    const rec = decodeRecordMeta(v);
    this.#remember(key, rec);
    return rec;
  }

  /** True when the event is stored. */
  async has(cid: CID): Promise<boolean> {
    return (await this.#getRecord(cidKey(cid))) !== undefined;
  }

  /** Stored block bytes of an event. */
  async getBlock(cid: CID): Promise<Uint8Array | undefined> {
    const key = cidKey(cid);
    const overlay = this.#overlayBlocks.get(key) ?? this.#writingBlocks.get(key);
    if (overlay) return overlay;
    const v = await this.db.get(`e!${key}`);
    return v ? decodeRecordBlock(v) : undefined;
  }

  /** Stored event, decoded. */
  async getEvent(cid: CID): Promise<CheckedEvent | undefined> {
    const bytes = await this.getBlock(cid);
    return bytes ? decodeEvent(bytes, cid) : undefined;
  }

  /** Stored metadata of an event: group, kind, height, parents, base. */
  async getMeta(cid: CID): Promise<EventMeta | undefined> {
    const key = cidKey(cid);
    const r = await this.#getRecord(key);
    return r ? recordToMeta(key, r) : undefined;
  }

  /** Groups held, by group id bytes. */
  async listGroups(): Promise<GroupInfo[]> {
    const out: GroupInfo[] = [];
    for await (const [k, v] of this.db.iterator({ gt: 'g!', lt: `g!${END}` })) {
      const rec = decodeGroup(v);
      out.push({ group: cidFromKey(k.slice(2)), suite: rec.suite, events: rec.events });
    }
    return out;
  }

  /** Summary of one group, if held. */
  async getGroup(group: CID): Promise<GroupInfo | undefined> {
    const rec = await this.#ensureGroup(cidKey(group));
    return rec ? { group, suite: rec.suite, events: rec.events } : undefined;
  }

  async #scanKeys(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for await (const k of this.db.keys({ gt: prefix, lt: prefix + END })) out.push(k.slice(prefix.length));
    return out;
  }

  /** Heads of a group (events without children), sorted by CID bytes. */
  async getHeads(group: CID): Promise<CID[]> {
    const rec = this.#groups.get(cidKey(group)) ?? (await this.#ensureGroup(cidKey(group)));
    return rec ? [...rec.heads].sort().map(cidFromKey) : [];
  }

  /** Children of an event, sorted by CID bytes. */
  async getChildren(cid: CID): Promise<CID[]> {
    return (await this.#scanKeys(`c!${cidKey(cid)}!`)).map(cidFromKey);
  }

  /**
   * Events a peer can use as `have` markers: the heads, then one event (lowest CID) at heights
   * max-1, max-2, max-4, ... down to 0. Every one is ours with its whole ancestry, and the spacing
   * puts a marker within twice the divergence depth of any common prefix.
   */
  async getSyncMarkers(group: CID, max = 64): Promise<CID[]> {
    const groupKey = cidKey(group);
    const heads = await this.getHeads(group);
    let top = 0;
    for (const h of heads) top = Math.max(top, (await this.#getRecord(cidKey(h)))?.h ?? 0);
    const out = new Map<string, CID>(heads.map((h) => [h.toString(), h]));
    for (let step = 1; out.size < max; step *= 2) {
      const height = Math.max(0, top - step);
      const prefix = `t!${groupKey}!${heightKey(height)}!`;
      for await (const k of this.db.keys({ gt: prefix, lt: prefix + END, limit: 1 })) {
        const cid = cidFromKey(k.slice(prefix.length));
        out.set(cid.toString(), cid);
      }
      if (height === 0) break;
    }
    return [...out.values()].slice(0, max);
  }

  /** Every event of a group in the deterministic topological order: height, then CID bytes. */
  async getTopologicalOrder(group: CID): Promise<CID[]> {
    return (await this.#scanKeys(`t!${cidKey(group)}!`)).map((k) => cidFromKey(k.slice(9)));
  }

  /** Blocks of a group in topological order, streamed. */
  async *iterateBlocks(group: CID): AsyncGenerator<EventBlock> {
    for (const cid of await this.getTopologicalOrder(group)) {
      const bytes = await this.getBlock(cid);
      if (bytes) yield { cid, bytes };
    }
  }

  /** Handshakes (proposals and commits) built on `base`, with their kinds, sorted by CID bytes. */
  async getHandshakesByBase(group: CID, base: CID): Promise<{ cid: CID; kind: EventKind }[]> {
    const prefix = `f!${cidKey(group)}!${cidKey(base)}!`;
    const out: { cid: CID; kind: EventKind }[] = [];
    for await (const [k, v] of this.db.iterator({ gt: prefix, lt: prefix + END })) {
      out.push({ cid: cidFromKey(k.slice(prefix.length)), kind: dec.decode(v) as EventKind });
    }
    return out;
  }

  /**
   * Every base of the group with two or more commits built on it (DESIGN.md: two commits with the
   * same base are a fork), sorted by base CID bytes. With `includeProposals`, proposals count too,
   * so any base with two or more handshake children is listed.
   */
  async getForks(group: CID, options: { includeProposals?: boolean } = {}): Promise<Fork[]> {
    const prefix = `f!${cidKey(group)}!`;
    const byBase = new Map<string, string[]>();
    for await (const [k, v] of this.db.iterator({ gt: prefix, lt: prefix + END })) {
      if (dec.decode(v) !== 'commit' && !options.includeProposals) continue;
      const [base, child] = k.slice(prefix.length).split('!') as [string, string];
      const list = byBase.get(base) ?? [];
      list.push(child);
      byBase.set(base, list);
    }
    return [...byBase]
      .filter(([, children]) => children.length >= 2)
      .map(([base, children]) => ({ base: cidFromKey(base), commits: children.map(cidFromKey) }));
  }

  /** Every ancestor of an event (not itself), in topological order. */
  async getAncestors(cid: CID): Promise<CID[]> {
    const seen = new Map<string, number>();
    const stack = [cidKey(cid)];
    while (stack.length > 0) {
      const rec = await this.#getRecord(stack.pop()!);
      if (!rec) continue;
      for (const p of rec.p) {
        if (seen.has(p)) continue;
        const pr = await this.#getRecord(p);
        if (!pr) continue;
        seen.set(p, pr.h);
        stack.push(p);
      }
    }
    return sortTopological(seen);
  }

  /**
   * Events that are ancestors-or-self of `want` (default: the group's heads) and not ancestors-or-self
   * of any known CID in `have`, in topological order. Walks down from the top by height and stops
   * once only `have`-side events remain, so the cost follows the size of the difference.
   */
  async getEventsSince(group: CID, have: readonly CID[], want?: readonly CID[]): Promise<CID[]> {
    const OURS = 1;
    const THEIRS = 2;
    const flags = new Map<string, number>();
    const heights = new Map<string, number>();
    const heap = new HeightHeap();
    const groupKey = cidKey(group);
    let active = 0; // queued nodes not (yet) reached from `have`
    const enqueue = async (key: string, flag: number): Promise<void> => {
      const prev = flags.get(key);
      if (prev === undefined) {
        const rec = await this.#getRecord(key);
        if (!rec || rec.g !== groupKey) return;
        flags.set(key, flag);
        heights.set(key, rec.h);
        heap.push(rec.h, key);
        if (flag === OURS) active += 1;
        return;
      }
      const next = prev | flag;
      if (next === prev) return;
      flags.set(key, next);
      if (prev === OURS) active -= 1; // was only ours and still queued (children are popped before parents)
    };
    for (const c of have) await enqueue(cidKey(c), THEIRS);
    for (const c of want ?? (await this.getHeads(group))) await enqueue(cidKey(c), OURS);
    const out = new Map<string, number>();
    while (active > 0 && heap.size > 0) {
      const { k, h } = heap.pop()!;
      const f = flags.get(k)!;
      const rec = await this.#getRecord(k);
      if (f === OURS) {
        active -= 1;
        out.set(k, h);
      }
      for (const p of rec?.p ?? []) await enqueue(p, f & THEIRS ? THEIRS : OURS);
    }
    return sortTopological(out);
  }

  /**
   * Checks the store's indexes against its events; returns a list of problems (empty when consistent).
   * Reads everything: for tests, crash recovery checks and the CLI, not for hot paths.
   */
  async checkIntegrity(): Promise<string[]> {
    const problems: string[] = [];
    const metas = new Map<string, MetaRecord>();
    for await (const [k, v] of this.db.iterator({ gt: 'e!', lt: `e!${END}` })) {
      const key = k.slice(2);
      const meta = decodeRecordMeta(v);
      metas.set(key, meta);
      try {
        decodeEvent(decodeRecordBlock(v), cidFromKey(key));
      } catch (e) {
        problems.push(`block ${key} does not decode: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const children = new Set<string>();
    const counts = new Map<string, number>();
    for (const [key, r] of metas) {
      counts.set(r.g, (counts.get(r.g) ?? 0) + 1);
      let h = 0;
      for (const p of r.p) {
        const pr = metas.get(p);
        if (!pr) problems.push(`event ${key} has unknown parent ${p}`);
        else h = Math.max(h, pr.h + 1);
        children.add(p);
        if ((await this.db.get(`c!${p}!${key}`)) === undefined) problems.push(`children index lacks ${p} -> ${key}`);
      }
      if (h !== r.h) problems.push(`event ${key} has height ${r.h}, expected ${h}`);
      if ((await this.db.get(`t!${r.g}!${heightKey(r.h)}!${key}`)) === undefined) problems.push(`topological index lacks ${key}`);
      if (r.b !== undefined && HANDSHAKE_KINDS.has(r.k) && (await this.db.get(`f!${r.g}!${r.b}!${key}`)) === undefined) {
        problems.push(`fork index lacks ${key}`);
      }
    }
    for (const prefix of ['c!', 't!', 'f!']) {
      for await (const k of this.db.keys({ gt: prefix, lt: prefix + END })) {
        const last = k.slice(k.lastIndexOf('!') + 1);
        if (!metas.has(last)) problems.push(`index entry ${k} names an unknown event`);
      }
    }
    for await (const [k, v] of this.db.iterator({ gt: 'g!', lt: `g!${END}` })) {
      const g = k.slice(2);
      const rec = decodeGroup(v);
      const n = counts.get(g) ?? 0;
      if (rec.events !== n) problems.push(`group ${g} counts ${rec.events} events, holds ${n}`);
      const expected = [...metas].filter(([key, r]) => r.g === g && !children.has(key)).map(([key]) => key).sort();
      if (expected.join() !== [...rec.heads].sort().join()) problems.push(`group ${g} heads differ from its events without children`);
      counts.delete(g);
    }
    for (const g of counts.keys()) problems.push(`events of group ${g} have no group record`);
    return problems;
  }
}

function sortTopological(heights: Map<string, number>): CID[] {
  return [...heights]
    .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k]) => cidFromKey(k));
}

function evictedResult(entry: PendingEntry, pool: PendingPool): AddResult {
  const why = `evicted from the pending pool (limit ${pool.maxCount} events, ${pool.maxBytes} bytes)`;
  return { status: 'evicted', cid: entry.checked.cid, error: missingParentError(entry, why) };
}

function missingParentError(entry: PendingEntry, why: string): EventError {
  const parents = [...entry.missing].map((k) => cidFromKey(k).toString()).join(', ');
  return new EventError('missing_parent', `parent(s) ${parents} never arrived; ${why}`, entry.checked.cid.toString());
}

/** Rejects every event still pending in `pool` with 'missing_parent' and empties it. */
export function drainPending(pool: PendingPool): AddResult[] {
  return pool.clear().map((e) => ({ status: 'rejected' as const, cid: e.checked.cid, error: missingParentError(e, 'the input ended without them') }));
}
