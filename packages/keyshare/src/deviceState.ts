// What a keyshare device must keep across a restart, and how it is written to its level store.
// The answerer's replay guard and rate buckets, the requester's open requests and provenance, the
// per-message asking state (rounds, which request covers a message) and the messages read with a
// forwarded key. Saved as three canonical DAG-CBOR values in one batch, so a crash leaves either
// the old state or the new one, never a mix. The HPKE private key is kept too: answers already in
// flight are encrypted to it.
import type { CID } from 'multiformats/cid';
import { decodeCborMap, encodeCbor, FieldReader, readEntry } from './cbor.ts';
import { KeyshareError } from './errors.ts';
import type { AnswererState } from './policy.ts';
import type { RequesterState } from './requester.ts';
import { decodeAnswererState, decodeRequesterState, encodeAnswererState, encodeRequesterState } from './stateCodec.ts';
import type { KeyshareDb } from './trustStore.ts';
// Type-only, so no runtime import cycle with the device that uses this module.
import type { RecoveredMessage } from './keyshareDevice.ts';

/** The asking state of one message this device holds (see createKeyshareDevice). */
export interface MessageTrackRecord {
  readonly cid: CID;
  readonly epoch: CID;
  /** Sender leaf in that epoch. */
  readonly sender: number;
  /** DAG height and ledger key of the message event (the order in which messages are asked for). */
  readonly height: number;
  readonly key: string;
  /** When this device first held the message. */
  readonly firstAt: number;
  readonly rounds: number;
  /** Key of the open request covering it, if any. */
  readonly request: string | null;
  readonly settledAt: number | null;
  readonly state: string | null;
  readonly readAt: number | null;
}

/** A message read with a forwarded key, and where the key came from (kept so it is not asked for again). */
export type RecoveredRecord = RecoveredMessage;

/** Everything a keyshare device resumes from after a restart. */
export interface KeyshareDeviceState {
  readonly hpkePrivateKey: Uint8Array;
  readonly answerer: AnswererState;
  readonly requester: RequesterState;
  readonly tracks: readonly MessageTrackRecord[];
  readonly recovered: readonly RecoveredRecord[];
}

const KEY_ANSWERER = 'ks!state!answerer';
const KEY_REQUESTER = 'ks!state!requester';
const KEY_DEVICE = 'ks!state!device';
const MAX_STATE_BYTES = 256 * 1024 * 1024;
const BIG = Number.MAX_SAFE_INTEGER;

function anyText(r: FieldReader, key: string): string {
  const v = r.map[key];
  if (typeof v !== 'string') throw new KeyshareError('malformed', `${r.what}.${key} must be text`);
  return v;
}

function nullable<T>(r: FieldReader, key: string, read: () => T): T | null {
  if (!r.has(key)) throw new KeyshareError('malformed', `${r.what}.${key} is missing`);
  return r.map[key] === null ? null : read();
}

/** The device part of a snapshot (identity key, message tracks, recovered messages) as canonical DAG-CBOR. */
export function encodeDeviceState(state: Pick<KeyshareDeviceState, 'hpkePrivateKey' | 'tracks' | 'recovered'>): Uint8Array {
  return encodeCbor({
    v: 1,
    hpke: state.hpkePrivateKey,
    tracks: state.tracks.map((t) => ({
      cid: t.cid,
      epoch: t.epoch,
      leaf: t.sender,
      h: t.height,
      key: t.key,
      first: t.firstAt,
      rounds: t.rounds,
      req: t.request,
      settled: t.settledAt,
      state: t.state,
      read: t.readAt,
    })),
    recovered: state.recovered.map((r) => ({ ...r })),
  });
}

/** Reads the device part of a snapshot; throws KeyshareError. */
export function decodeDeviceState(bytes: Uint8Array): Pick<KeyshareDeviceState, 'hpkePrivateKey' | 'tracks' | 'recovered'> {
  const r = new FieldReader(decodeCborMap(bytes, MAX_STATE_BYTES, 'device state'), 'device state').onlyKeys(['v', 'hpke', 'tracks', 'recovered']);
  if (r.uint('v', 1) !== 1) throw new KeyshareError('unsupported_version', 'device state version must be 1');
  const tracks = r.list('tracks', BIG).map((x, i): MessageTrackRecord => {
    const e = readEntry(x, `tracks[${i}]`).onlyKeys(['cid', 'epoch', 'leaf', 'h', 'key', 'first', 'rounds', 'req', 'settled', 'state', 'read']);
    return {
      cid: e.cid('cid'),
      epoch: e.cid('epoch'),
      sender: e.uint('leaf', 0xffffffff),
      height: e.uint('h', BIG),
      key: anyText(e, 'key'),
      firstAt: e.uint('first', BIG),
      rounds: e.uint('rounds', 0xffff),
      request: nullable(e, 'req', () => anyText(e, 'req')),
      settledAt: nullable(e, 'settled', () => e.uint('settled', BIG)),
      state: nullable(e, 'state', () => anyText(e, 'state')),
      readAt: nullable(e, 'read', () => e.uint('read', BIG)),
    };
  });
  const fields = ['cid', 'epoch', 'text', 'sender', 'answerer', 'answererId', 'requestId'] as const;
  const recovered = r.list('recovered', BIG).map((x, i): RecoveredRecord => {
    const e = readEntry(x, `recovered[${i}]`).onlyKeys([...fields, 'since', 'at']);
    const [cid, epoch, text, sender, answerer, answererId, requestId] = fields.map((f) => anyText(e, f)) as [string, string, string, string, string, string, string];
    return { cid, epoch, text, sender, answerer, answererId, requestId, since: e.uint('since', BIG), at: e.uint('at', BIG) };
  });
  return { hpkePrivateKey: r.bytes('hpke', 1, 1024), tracks, recovered };
}

/** Writes a device's keyshare state to its level store in one batch (replacing the previous one). */
export async function saveKeyshareDeviceState(db: KeyshareDb, state: KeyshareDeviceState): Promise<void> {
  await db.batch([
    { type: 'put', key: KEY_ANSWERER, value: encodeAnswererState(state.answerer) },
    { type: 'put', key: KEY_REQUESTER, value: encodeRequesterState(state.requester) },
    { type: 'put', key: KEY_DEVICE, value: encodeDeviceState(state) },
  ]);
}

/** Reads the keyshare state saved in a level store: null when none was saved; throws KeyshareError when it is damaged or partial. */
export async function loadKeyshareDeviceState(db: KeyshareDb): Promise<KeyshareDeviceState | null> {
  const [answerer, requester, device] = await db.getMany([KEY_ANSWERER, KEY_REQUESTER, KEY_DEVICE]);
  if (answerer === undefined && requester === undefined && device === undefined) return null;
  if (answerer === undefined || requester === undefined || device === undefined) {
    throw new KeyshareError('malformed', 'the keyshare state in this store is partial (one of answerer, requester, device is missing)');
  }
  return { answerer: decodeAnswererState(answerer), requester: decodeRequesterState(requester), ...decodeDeviceState(device) };
}
