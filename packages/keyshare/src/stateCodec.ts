// Canonical DAG-CBOR snapshots of the answerer's and requester's state, so the device runtime can
// persist them in its level store next to its worlds (the replay cache and open requests survive a
// restart). Decoding is strict: a damaged snapshot is refused with KeyshareError, never half-read.
import type { CID } from 'multiformats/cid';
import { toHex } from '@weft/codec';
import { decodeCborMap, encodeCbor, FieldReader, readEntry } from './cbor.ts';
import { KeyshareError } from './errors.ts';
import { WITHHELD_REASONS, type MessageRef, type Wanted } from './messages.ts';
import type { AnswererState, TokenBucket } from './policy.ts';
import { entriesOfSharded, shardedFrom, type ShardedMap } from './shardedMap.ts';
import type { Attempt, OpenRequest, ProvenanceRecord, RequesterState, UnreadableEntry, UnreadableReason, WithheldRecord } from './requester.ts';

const MAX_STATE_BYTES = 256 * 1024 * 1024;
const BIG = Number.MAX_SAFE_INTEGER;
const UNREADABLE_REASONS: readonly UnreadableReason[] = ['awaiting_answer', 'withheld', 'no_candidates', 'expired'];

// Token counts are fractional; they are stored in millitokens so the encoding stays integral.
const bucketOut = (b: TokenBucket): number[] => [Math.floor(b.tokens * 1000), b.at];
function bucketIn(x: unknown, what: string): TokenBucket {
  if (!Array.isArray(x) || x.length !== 2 || !x.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0)) {
    throw new KeyshareError('malformed', `${what} must be [millitokens, at]`);
  }
  return { tokens: (x[0] as number) / 1000, at: x[1] as number };
}

function pairs(list: unknown[], what: string): [string, unknown][] {
  return list.map((x, i) => {
    if (!Array.isArray(x) || x.length !== 2 || typeof x[0] !== 'string') throw new KeyshareError('malformed', `${what}[${i}] must be [key, value]`);
    return [x[0], x[1]];
  });
}

/** Entries in key order, so equal states give equal snapshots. */
function sortedEntries<V>(m: ShardedMap<V>): [string, V][] {
  return [...entriesOfSharded(m)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Snapshot of an answerer's state. */
export function encodeAnswererState(s: AnswererState): Uint8Array {
  return encodeCbor({
    v: 1,
    overall: s.overall ? bucketOut(s.overall) : null,
    per: sortedEntries(s.perRequester).map(([k, b]) => [k, bucketOut(b)]),
    seen: sortedEntries(s.seen),
  });
}

/** Reads an answerer snapshot; throws KeyshareError. */
export function decodeAnswererState(bytes: Uint8Array): AnswererState {
  const r = new FieldReader(decodeCborMap(bytes, MAX_STATE_BYTES, 'answerer state'), 'answerer state').onlyKeys(['v', 'overall', 'per', 'seen']);
  if (r.uint('v', 1) !== 1) throw new KeyshareError('unsupported_version', 'answerer state version must be 1');
  const overallRaw = r.map['overall'];
  const perRequester = shardedFrom(pairs(r.list('per', BIG), 'per').map(([k, v]) => [k, bucketIn(v, `per ${k}`)]));
  const seen = shardedFrom(
    pairs(r.list('seen', BIG), 'seen').map(([k, v]): [string, number] => {
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new KeyshareError('malformed', 'seen expiry must be an integer');
      return [k, v];
    }),
  );
  return { overall: overallRaw === null ? null : bucketIn(overallRaw, 'overall'), perRequester, seen };
}

function wantedOut(w: Wanted): unknown {
  return w.kind === 'range' ? { from: w.from, to: w.to } : { msgs: w.messages.map((m) => ({ cid: m.cid, esd: m.esd, sample: m.sample })) };
}

function wantedIn(r: FieldReader): Wanted {
  if (r.has('msgs')) {
    const messages: MessageRef[] = r.list('msgs', BIG).map((x, i) => {
      const e = readEntry(x, `msgs[${i}]`).onlyKeys(['cid', 'esd', 'sample']);
      return { cid: e.cid('cid'), esd: e.bytes('esd', 1, 255), sample: e.bytes('sample', 1, 255) };
    });
    return { kind: 'messages', messages };
  }
  return { kind: 'range', from: r.uint('from', 0xffffffff), to: r.uint('to', 0xffffffff) };
}

/** Snapshot of a requester's state. */
export function encodeRequesterState(s: RequesterState): Uint8Array {
  return encodeCbor({
    v: 1,
    open: [...s.open.values()].map((o) => ({
      key: o.key,
      id: o.id,
      group: o.group,
      epoch: o.epoch,
      leaf: o.sender,
      want: wantedOut(o.wanted),
      cids: [...o.cids],
      cand: [...o.candidates],
      att: o.attempts.map((a) => ({ n: a.attempt, to: a.to, at: a.at })),
      wh: o.withheld.map((x) => ({ from: x.from, why: x.reason, at: x.at })),
      opened: o.openedAt,
      next: o.nextAttemptAt,
      exp: o.expiresAt,
    })),
    unreadable: [...s.unreadable.values()].map((u) => ({ cid: u.cid, group: u.group, epoch: u.epoch, since: u.since, why: u.reason, wh: u.withheld })),
    prov: s.provenance.map((p) => ({
      group: p.group,
      epoch: p.epoch,
      leaf: p.sender,
      gen: p.generation,
      from: p.answerer,
      id: p.requestId,
      att: p.attempt,
      at: p.receivedAt,
      cids: [...p.cids],
    })),
  });
}

function cids(r: FieldReader, key: string): CID[] {
  return r.list(key, BIG).map((x, i) => new FieldReader({ c: x }, `${r.what}.${key}[${i}]`).cid('c'));
}

function bytesList(r: FieldReader, key: string): Uint8Array[] {
  return r.list(key, BIG).map((x, i) => {
    if (!(x instanceof Uint8Array)) throw new KeyshareError('malformed', `${key}[${i}] must be bytes`);
    return x;
  });
}

/** Reads a requester snapshot; throws KeyshareError. */
export function decodeRequesterState(bytes: Uint8Array): RequesterState {
  const r = new FieldReader(decodeCborMap(bytes, MAX_STATE_BYTES, 'requester state'), 'requester state').onlyKeys(['v', 'open', 'unreadable', 'prov']);
  if (r.uint('v', 1) !== 1) throw new KeyshareError('unsupported_version', 'requester state version must be 1');
  const open = new Map<string, OpenRequest>();
  const byId = new Map<string, string>();
  for (const [i, x] of r.list('open', BIG).entries()) {
    const o = readEntry(x, `open[${i}]`);
    const keyRaw = o.map['key'];
    if (typeof keyRaw !== 'string') throw new KeyshareError('malformed', `open[${i}].key must be text`);
    const attempts: Attempt[] = o.list('att', BIG).map((a, j) => {
      const e = readEntry(a, `att[${j}]`);
      return { attempt: e.uint('n', 0xffff), to: e.bytes('to', 1, 255), at: e.uint('at', BIG) };
    });
    const withheld: WithheldRecord[] = o.list('wh', BIG).map((a, j) => {
      const e = readEntry(a, `wh[${j}]`);
      return { from: e.bytes('from', 1, 255), reason: e.text('why', WITHHELD_REASONS), at: e.uint('at', BIG) };
    });
    const req: OpenRequest = {
      key: keyRaw,
      id: o.bytes('id', 16, 16),
      group: o.cid('group'),
      epoch: o.cid('epoch'),
      sender: o.uint('leaf', 0xffffffff),
      wanted: wantedIn(o.map_('want')),
      cids: cids(o, 'cids'),
      candidates: bytesList(o, 'cand'),
      attempts,
      withheld,
      openedAt: o.uint('opened', BIG),
      nextAttemptAt: o.uint('next', BIG),
      expiresAt: o.uint('exp', BIG),
    };
    open.set(req.key, req);
    byId.set(toHex(req.id), req.key);
  }
  const unreadable = new Map<string, UnreadableEntry>();
  for (const [i, x] of r.list('unreadable', BIG).entries()) {
    const e = readEntry(x, `unreadable[${i}]`);
    const wh = e.map['wh'];
    const entry: UnreadableEntry = {
      cid: e.cid('cid'),
      group: e.cid('group'),
      epoch: e.cid('epoch'),
      since: e.uint('since', BIG),
      reason: e.text('why', UNREADABLE_REASONS),
      withheld: wh === null ? null : e.text('wh', WITHHELD_REASONS),
    };
    unreadable.set(entry.cid.toString(), entry);
  }
  const provenance: ProvenanceRecord[] = r.list('prov', BIG).map((x, i) => {
    const e = readEntry(x, `prov[${i}]`);
    return {
      group: e.cid('group'),
      epoch: e.cid('epoch'),
      sender: e.uint('leaf', 0xffffffff),
      generation: e.uint('gen', 0xffffffff),
      answerer: e.bytes('from', 1, 255),
      requestId: e.bytes('id', 16, 16),
      attempt: e.uint('att', 0xffff),
      receivedAt: e.uint('at', BIG),
      cids: cids(e, 'cids'),
    };
  });
  return { open, byId, unreadable, provenance };
}
