import * as dagCbor from '@ipld/dag-cbor';
import { CID } from 'multiformats/cid';
import { compareBytes, concatBytes, utf8 } from '@weft/codec';
import { DagCborError, decodeDagCborStrict } from './dagCbor.ts';
import { EventError } from './errors.ts';
import { computeCid, isEventCid } from './cid.ts';
import { EVENT_KINDS, EVENT_VERSION, MAX_EVENT_BYTES, MAX_PARENTS, SIGNATURE_LABEL } from './event.ts';
import type { Author, CheckedEvent, DagEvent, EventKind } from './event.ts';

const labelBytes = concatBytes(utf8(SIGNATURE_LABEL), new Uint8Array([0]));

// Which keys each kind may carry; anything outside ALL_KEYS is an unknown field. `group` is known
// only to be refused with a precise reason: since format v2 no event names its group (a genesis is
// its own group, any other event belongs to its parents' group).
const ALL_KEYS = new Set(['v', 'kind', 'group', 'suite', 'author', 'parents', 'base', 'body', 'resolves', 'sig']);
const KIND_KEYS: Record<EventKind, ReadonlySet<string>> = {
  genesis: new Set(['v', 'kind', 'suite', 'author', 'parents', 'body', 'sig']),
  proposal: new Set(['v', 'kind', 'author', 'parents', 'base', 'body', 'sig']),
  commit: new Set(['v', 'kind', 'author', 'parents', 'base', 'body', 'resolves', 'sig']),
  welcome: new Set(['v', 'kind', 'author', 'parents', 'base', 'body', 'sig']),
  message: new Set(['v', 'kind', 'author', 'parents', 'base', 'body', 'sig']),
};
const AUTHOR_KEYS = new Set(['key', 'leaf']);

type Plain = Record<string, unknown>;

/** Plain DAG-CBOR data model object of an event (fields in any order; the encoder sorts them). */
function toDataModel(event: Omit<DagEvent, 'sig'> & { sig?: Uint8Array }): Plain {
  const author: Plain = { key: event.author.key };
  if (event.author.leaf !== undefined) author['leaf'] = event.author.leaf;
  const out: Plain = { v: event.v, kind: event.kind, author, parents: [...event.parents], body: event.body };
  if (event.suite !== undefined) out['suite'] = event.suite;
  if (event.base !== undefined) out['base'] = event.base;
  if (event.resolves !== undefined) out['resolves'] = [...event.resolves];
  if (event.sig !== undefined) out['sig'] = event.sig;
  return out;
}

/** Canonical DAG-CBOR bytes of an event (signature included). */
export function encodeEvent(event: DagEvent): Uint8Array {
  return dagCbor.encode(toDataModel(event));
}

/** The bytes an author signs: the label, a zero byte, then the canonical encoding of the event without `sig`. */
export function encodeSigningPayload(event: Omit<DagEvent, 'sig'>): Uint8Array {
  const { sig: _sig, ...rest } = event as DagEvent;
  return concatBytes(labelBytes, dagCbor.encode(toDataModel(rest)));
}

// Canonical bytes of each decoded event, so the signing payload can be cut out of them: a hidden
// (non-enumerable) property, cheaper than a WeakMap holding 100,000s of entries during an import.
const BYTES = Symbol('weft.eventBytes');
const SIG_PREFIX = [0x61, 0x76, EVENT_VERSION, 0x63, 0x73, 0x69, 0x67]; // "v": 2, then the key "sig"

/**
 * Where the `sig` entry of canonical event bytes ends, or undefined if the bytes do not start with
 * the `v` and `sig` entries. In canonical DAG-CBOR order `v` (1-byte key) comes first and `sig` (the
 * only 3-byte key) second, so dropping that entry and decrementing the map size gives exactly the
 * encoding of the event without `sig`: the signing payload, without re-encoding.
 */
function findSigEnd(bytes: Uint8Array): number | undefined {
  const header = bytes[0] as number;
  if (header < 0xa2 || header > 0xb7) return undefined; // a map of 2..23 entries, size in the first byte
  for (let i = 0; i < SIG_PREFIX.length; i++) if (bytes[1 + i] !== SIG_PREFIX[i]) return undefined;
  let at = 1 + SIG_PREFIX.length;
  const first = bytes[at] as number;
  let len: number;
  if (first >= 0x40 && first < 0x58) [len, at] = [first - 0x40, at + 1];
  else if (first === 0x58) [len, at] = [bytes[at + 1] as number, at + 2];
  else if (first === 0x59) [len, at] = [((bytes[at + 1] as number) << 8) | (bytes[at + 2] as number), at + 3];
  else return undefined;
  const end = at + len;
  return end > bytes.length ? undefined : end;
}

/** Writes the payload cut from `bytes` (whose `sig` entry ends at `end`) into `out` at `at`. */
function writeCutPayload(bytes: Uint8Array, end: number, out: Uint8Array, at: number): void {
  out.set(labelBytes, at);
  out[at + labelBytes.length] = (bytes[0] as number) - 1;
  out.set(bytes.subarray(1, 4), at + labelBytes.length + 1);
  out.set(bytes.subarray(end), at + labelBytes.length + 4);
}

/** The signing payload of an event (cut from its bytes when it came from `decodeEvent`). */
export function getSigningPayload(event: DagEvent): Uint8Array {
  const bytes = (event as unknown as Record<symbol, Uint8Array | undefined>)[BYTES];
  const end = bytes ? findSigEnd(bytes) : undefined;
  if (bytes === undefined || end === undefined) return encodeSigningPayload(event);
  const out = new Uint8Array(labelBytes.length + 4 + (bytes.length - end));
  writeCutPayload(bytes, end, out, 0);
  return out;
}

/**
 * The signing payloads of many events, as views of one buffer (one allocation for a whole chunk
 * instead of one per event); events not from `decodeEvent` get payloads of their own.
 */
export function getSigningPayloads(events: readonly DagEvent[]): Uint8Array[] {
  const ends = events.map((e) => {
    const bytes = (e as unknown as Record<symbol, Uint8Array | undefined>)[BYTES];
    return bytes ? findSigEnd(bytes) : undefined;
  });
  let total = 0;
  events.forEach((e, i) => {
    const end = ends[i];
    if (end !== undefined) total += labelBytes.length + 4 + ((e as unknown as Record<symbol, Uint8Array>)[BYTES] as Uint8Array).length - end;
  });
  const area = new Uint8Array(total);
  let at = 0;
  return events.map((e, i) => {
    const end = ends[i];
    if (end === undefined) return encodeSigningPayload(e);
    const bytes = (e as unknown as Record<symbol, Uint8Array>)[BYTES] as Uint8Array;
    const n = labelBytes.length + 4 + bytes.length - end;
    writeCutPayload(bytes, end, area, at);
    at += n;
    return area.subarray(at - n, at);
  });
}

/**
 * Strictly decodes and checks an event block, without any context: size, canonical DAG-CBOR, schema,
 * self reference and CID. `claimedCid` is the CID the sender named the block by (a CAR entry, a fetch
 * answer); when absent the CID is computed. Throws EventError.
 */
export function decodeEvent(bytes: Uint8Array, claimedCid?: CID): CheckedEvent {
  const label = (): string | undefined => claimedCid?.toString();
  if (bytes.length > MAX_EVENT_BYTES) {
    throw new EventError('too_large', `event is ${bytes.length} bytes; the limit is ${MAX_EVENT_BYTES}`, label());
  }
  let raw: unknown;
  try {
    raw = decodeDagCborStrict(bytes);
  } catch (e) {
    if (!(e instanceof DagCborError)) throw e;
    const code = e.code === 'trailing_bytes' ? 'trailing_bytes' : e.code === 'non_canonical' ? 'non_canonical' : 'decode_failed';
    throw new EventError(code, `event is not strict DAG-CBOR: ${e.message}`, label());
  }
  const event = parseEvent(raw, claimedCid);
  if (claimedCid && [...event.parents, ...(event.base ? [event.base] : []), ...(event.resolves ?? [])].some((r) => r.equals(claimedCid))) {
    throw new EventError('cycle', `event ${label()} names itself as a parent, base or resolved commit, so it would be its own ancestor`, label());
  }
  const cid = computeCid(bytes);
  if (claimedCid && !cid.equals(claimedCid)) {
    throw new EventError('cid_mismatch', `block was named ${label()} but its bytes hash to ${cid.toString()}`, label());
  }
  Object.defineProperty(event, BYTES, { value: bytes });
  return { cid, bytes, event };
}

// `label` is the CID the block was named by, turned into text only when an error is thrown.
function fail(code: ConstructorParameters<typeof EventError>[0], message: string, label?: CID): never {
  throw new EventError(code, message, label?.toString());
}

function isPlainMap(x: unknown): x is Plain {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Uint8Array) && CID.asCID(x) === null;
}

function readCid(x: unknown, field: string, label?: CID): CID {
  const cid = CID.asCID(x);
  if (!cid) fail('invalid_field', `${field} must be a CID`, label);
  if (!isEventCid(cid)) fail('invalid_cid', `${field} ${cid.toString()} is not a CIDv1 dag-cbor sha2-256 CID`, label);
  return cid;
}

function readSortedCids(x: unknown, field: string, label?: CID): CID[] {
  if (!Array.isArray(x)) fail('invalid_field', `${field} must be a list of CIDs`, label);
  const cids = x.map((c, i) => readCid(c, `${field}[${i}]`, label));
  for (let i = 1; i < cids.length; i++) {
    if (compareBytes((cids[i - 1] as CID).bytes, (cids[i] as CID).bytes) >= 0) {
      fail(field === 'parents' ? 'invalid_parents' : 'bad_resolves', `${field} must be sorted by CID bytes and unique`, label);
    }
  }
  return cids;
}

function isUint(x: unknown, max: number): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= max;
}

/** Checks a decoded data model value against the event schema. */
function parseEvent(raw: unknown, label?: CID): DagEvent {
  if (!isPlainMap(raw)) fail('not_a_map', 'an event must be a DAG-CBOR map', label);
  for (const k of Object.keys(raw)) {
    if (!ALL_KEYS.has(k)) fail('unknown_field', `unknown field "${k}"`, label);
  }
  if (!('v' in raw)) fail('missing_field', 'field "v" is missing', label);
  if (raw['v'] !== EVENT_VERSION) fail('unsupported_version', `version ${String(raw['v'])} is not supported (expected ${EVENT_VERSION})`, label);
  const kindValue = raw['kind'];
  if (kindValue === undefined) fail('missing_field', 'field "kind" is missing', label);
  if (typeof kindValue !== 'string' || !(EVENT_KINDS as readonly string[]).includes(kindValue)) {
    fail('unknown_kind', `unknown kind ${JSON.stringify(kindValue)}; expected one of ${EVENT_KINDS.join(', ')}`, label);
  }
  const kind = kindValue as EventKind;
  const allowed = KIND_KEYS[kind];
  if (kind === 'genesis' && 'group' in raw) {
    fail('duplicate_genesis', 'a genesis may not name a group: its own CID is the group id, so a group has exactly one genesis', label);
  }
  if ('group' in raw) {
    fail('invalid_field', `a ${kind} event may not name a group: since format v2 an event belongs to the group of its parents`, label);
  }
  for (const k of Object.keys(raw)) {
    if (!allowed.has(k)) fail('invalid_field', `field "${k}" is not allowed on a ${kind} event`, label);
  }
  if (!('sig' in raw)) fail('missing_signature', 'the event has no signature ("sig")', label);
  const sig = raw['sig'];
  if (!(sig instanceof Uint8Array) || sig.length === 0) fail('missing_signature', 'the signature ("sig") must be non-empty bytes', label);
  for (const k of ['author', 'parents', 'body']) {
    if (!(k in raw)) fail('missing_field', `field "${k}" is missing`, label);
  }
  const authorRaw = raw['author'];
  if (!isPlainMap(authorRaw)) fail('invalid_field', 'author must be a map { key, leaf? }', label);
  for (const k of Object.keys(authorRaw)) {
    if (!AUTHOR_KEYS.has(k)) fail('unknown_field', `unknown author field "${k}"`, label);
  }
  const key = authorRaw['key'];
  if (!(key instanceof Uint8Array) || key.length === 0) fail('invalid_field', 'author.key must be non-empty bytes', label);
  const leaf = authorRaw['leaf'];
  if (leaf !== undefined && !isUint(leaf, 0xffffffff)) fail('invalid_field', 'author.leaf must be an unsigned 32-bit integer', label);
  const author: Author = leaf === undefined ? { key } : { key, leaf };

  const parentsRaw = raw['parents'];
  if (Array.isArray(parentsRaw) && parentsRaw.length > MAX_PARENTS) {
    fail('too_many_parents', `event has ${parentsRaw.length} parents; the limit is ${MAX_PARENTS}`, label);
  }
  const parents = readSortedCids(parentsRaw, 'parents', label);
  const body = raw['body'];
  if (!(body instanceof Uint8Array)) fail('invalid_field', 'body must be bytes', label);

  if (kind === 'genesis') {
    if (parents.length > 0) fail('invalid_parents', 'a genesis has no parents', label);
    const suite = raw['suite'];
    if (suite === undefined) fail('missing_field', 'a genesis must name its cipher suite ("suite")', label);
    if (!isUint(suite, 0xffff)) fail('invalid_field', 'suite must be an unsigned 16-bit integer', label);
    return { v: EVENT_VERSION, kind, suite, author, parents, body, sig };
  }
  if (parents.length === 0) fail('invalid_parents', `a ${kind} event needs at least one parent`, label);
  let base: CID | undefined;
  if ('base' in raw) base = readCid(raw['base'], 'base', label);
  else if (kind !== 'welcome') fail('missing_field', `a ${kind} event must name its base epoch ("base")`, label);
  let resolves: CID[] | undefined;
  if ('resolves' in raw) {
    resolves = readSortedCids(raw['resolves'], 'resolves', label);
    if (resolves.length === 0) fail('bad_resolves', 'resolves, when present, must list at least one commit', label);
  }
  return {
    v: EVENT_VERSION,
    kind,
    author,
    parents,
    ...(base ? { base } : {}),
    body,
    ...(resolves ? { resolves } : {}),
    sig,
  };
}
