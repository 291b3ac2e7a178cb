// Shared fixtures for the dag tests: deterministic devices, event builders and store snapshots.
import * as dagCbor from '@ipld/dag-cbor';
import { getCipherSuite } from '@weft/crypto';
import { concatBytes, toHex, utf8 } from '@weft/codec';
import type { CID } from 'multiformats/cid';
import {
  buildEvent,
  computeCid,
  createSeededRandom,
  createSuiteResolver,
  openMemoryStore,
  SIGNATURE_LABEL,
} from '../src/index.ts';
import type { AddResult, CheckedEvent, DagDb, DagStore, DagStoreOptions, EventKind, EventSigner } from '../src/index.ts';

export const resolveSuite = createSuiteResolver('node');

/** A deterministic signing device for suite 1 (Ed25519). */
export function makeSigner(seed: number): EventSigner {
  const suite = getCipherSuite(1, 'node', { random: createSeededRandom(seed).bytes });
  const kp = suite.signatureGenerateKeyPair();
  return { suite, privateKey: kp.privateKey, publicKey: kp.publicKey };
}

/** A fresh in-memory store. */
export function newStore(extra: Partial<DagStoreOptions> = {}): Promise<DagStore> {
  return openMemoryStore({ resolveSuite, ...extra });
}

/** A genesis event (suite 1). */
export function genesis(signer: EventSigner, tag = 'g'): CheckedEvent {
  return buildEvent({ kind: 'genesis', suite: 1, parents: [], body: utf8(tag), leaf: 0 }, signer);
}

/** A non-genesis event with the given parents (whose group it belongs to) and base. */
export function child(
  signer: EventSigner,
  parents: CID[],
  base: CID,
  kind: Exclude<EventKind, 'genesis'> = 'message',
  tag = 'x',
  extra: { resolves?: CID[]; leaf?: number } = {},
): CheckedEvent {
  return buildEvent({ kind, parents, base, body: utf8(tag), ...extra }, signer);
}

/** Signs an arbitrary data-model object as an event would be signed, and encodes it with `sig`. */
export function signRaw(raw: Record<string, unknown>, signer: EventSigner): { bytes: Uint8Array; cid: CID } {
  const sig = signer.suite.sign(signer.privateKey, concatBytes(utf8(SIGNATURE_LABEL), new Uint8Array([0]), dagCbor.encode(raw)));
  const bytes = dagCbor.encode({ ...raw, sig });
  return { bytes, cid: computeCid(bytes) };
}

/** Every key and value of a database, for before/after comparisons. */
export async function snapshot(db: DagDb): Promise<string[]> {
  const out: string[] = [];
  for await (const [k, v] of db.iterator()) out.push(`${k}=${toHex(v)}`);
  return out;
}

/** The single result of adding one event, asserting there is exactly one. */
export function only(results: AddResult[]): AddResult {
  if (results.length !== 1) throw new Error(`expected one result, got ${results.length}: ${JSON.stringify(results.map((r) => r.status))}`);
  return results[0] as AddResult;
}

/** The error code of a result, or its status when it was not refused. */
export function codeOf(r: AddResult): string {
  return r.status === 'rejected' || r.status === 'evicted' ? r.error.code : r.status;
}

/** A small DAG of one group with a fork: genesis, two concurrent commits on it, then a merging message. */
export function smallForkedDag(): { events: CheckedEvent[]; group: CID; commits: CheckedEvent[] } {
  const a = makeSigner(1);
  const b = makeSigner(2);
  const g = genesis(a);
  const c1 = child(a, [g.cid], g.cid, 'commit', 'c1', { leaf: 0 });
  const c2 = child(b, [g.cid], g.cid, 'commit', 'c2', { leaf: 1 });
  const m = child(a, [c1.cid, c2.cid], c1.cid, 'message', 'm');
  return { events: [g, c1, c2, m], group: g.cid, commits: [c1, c2] };
}
