import { describe, expect, it } from 'vitest';
import * as cborg from 'cborg';
import * as dagCbor from '@ipld/dag-cbor';
import { toHex, utf8 } from '@weft/codec';
import { decodeEvent, encodeEvent, encodeSigningPayload, EventError, getSigningPayload, MAX_EVENT_BYTES } from '../src/index.ts';
import { getSigningPayloads } from '../src/eventCodec.ts';
import { child, genesis, makeSigner, signRaw } from './helpers.ts';

function codeOfDecode(bytes: Uint8Array, cid?: Parameters<typeof decodeEvent>[1]): string {
  try {
    decodeEvent(bytes, cid);
    return 'ok';
  } catch (e) {
    if (e instanceof EventError) return e.code;
    throw e;
  }
}

describe('event codec', () => {
  const a = makeSigner(1);
  const g = genesis(a);

  it('round-trips an event byte for byte and names it by a CIDv1 dag-cbor sha2-256', () => {
    const e = child(a, [g.cid], g.cid, 'commit', 'body', { leaf: 3 });
    const back = decodeEvent(e.bytes);
    expect(back.cid.equals(e.cid)).toBe(true);
    expect(encodeEvent(back.event)).toEqual(e.bytes);
    expect(back.event.author.leaf).toBe(3);
    expect(e.cid.version).toBe(1);
    expect(e.cid.code).toBe(0x71);
    expect(e.cid.multihash.code).toBe(0x12);
    expect(e.cid.toString()).toMatch(/^bafyrei/);
  });

  it('builder sorts and de-duplicates parents', () => {
    const x = child(a, [g.cid], g.cid, 'commit', '1');
    const y = child(a, [g.cid], g.cid, 'commit', '2');
    const e = child(a, [y.cid, x.cid, y.cid], x.cid);
    const sorted = [x.cid, y.cid].sort((p, q) => Buffer.compare(p.bytes, q.bytes));
    expect(e.event.parents.map(String)).toEqual(sorted.map(String));
  });

  it('rejects trailing bytes', () => {
    expect(codeOfDecode(new Uint8Array([...g.bytes, 0]))).toBe('trailing_bytes');
  });

  it('rejects non-minimal integers and unsorted map keys as non-canonical', () => {
    // v: 2 encoded with a one-byte length prefix (0x18 0x02) instead of 0x02.
    const d = dagCbor.decode(g.bytes) as Record<string, unknown>;
    const raw = { v: d['v'], kind: d['kind'], suite: d['suite'], author: d['author'], parents: d['parents'], body: d['body'], sig: d['sig'] };
    // A sorter that keeps insertion order (v, kind, suite, ...) instead of length-then-bytes order.
    const reordered = cborg.encode(raw, { mapSorter: () => 0, typeEncoders: (dagCbor.encodeOptions as cborg.EncodeOptions).typeEncoders });
    expect(dagCbor.decode(reordered)).toEqual(raw);
    expect(codeOfDecode(reordered)).toBe('non_canonical');
    const idx = g.bytes.findIndex((b, i) => b === 0x61 && g.bytes[i + 1] === 0x76 && g.bytes[i + 2] === 0x02);
    expect(idx).toBeGreaterThan(0);
    const nonMinimal = new Uint8Array([...g.bytes.subarray(0, idx + 2), 0x18, 0x02, ...g.bytes.subarray(idx + 3)]);
    expect(codeOfDecode(nonMinimal)).toBe('non_canonical');
  });

  it('rejects garbage, non-maps, unknown fields, unknown kinds and bad versions', () => {
    expect(codeOfDecode(new Uint8Array([0x5a, 0xff, 0xff]))).toBe('decode_failed');
    expect(codeOfDecode(dagCbor.encode([1, 2]))).toBe('not_a_map');
    const base = { v: 2, kind: 'genesis', suite: 1, author: { key: a.publicKey }, parents: [], body: utf8('b') };
    expect(codeOfDecode(signRaw({ ...base, extra: 1 }, a).bytes)).toBe('unknown_field');
    expect(codeOfDecode(signRaw({ ...base, author: { key: a.publicKey, nick: 'x' } }, a).bytes)).toBe('unknown_field');
    expect(codeOfDecode(signRaw({ ...base, kind: 'invite' }, a).bytes)).toBe('unknown_kind');
    expect(codeOfDecode(signRaw({ ...base, v: 1 }, a).bytes)).toBe('unsupported_version');
    expect(codeOfDecode(signRaw({ ...base, v: 3 }, a).bytes)).toBe('unsupported_version');
    expect(codeOfDecode(signRaw({ ...base, body: 'text' }, a).bytes)).toBe('invalid_field');
    const { suite: _s, ...noSuite } = base;
    expect(codeOfDecode(signRaw(noSuite, a).bytes)).toBe('missing_field');
  });

  it('rejects a missing or empty signature', () => {
    const raw = dagCbor.decode(g.bytes) as Record<string, unknown>;
    const { sig: _sig, ...unsigned } = raw;
    expect(codeOfDecode(dagCbor.encode(unsigned))).toBe('missing_signature');
    expect(codeOfDecode(dagCbor.encode({ ...unsigned, sig: new Uint8Array(0) }))).toBe('missing_signature');
  });

  it('rejects more than 20 parents, unsorted parents and oversized events', () => {
    const ps = Array.from({ length: 21 }, (_, i) => genesis(a, `p${i}`).cid).sort((x, y) => Buffer.compare(x.bytes, y.bytes));
    const base = { v: 2, kind: 'message', author: { key: a.publicKey }, base: g.cid, body: utf8('b') };
    expect(codeOfDecode(signRaw({ ...base, parents: ps }, a).bytes)).toBe('too_many_parents');
    expect(codeOfDecode(signRaw({ ...base, parents: ps.slice(0, 20) }, a).bytes)).toBe('ok');
    expect(codeOfDecode(signRaw({ ...base, parents: [ps[1], ps[0]] }, a).bytes)).toBe('invalid_parents');
    expect(codeOfDecode(signRaw({ ...base, parents: [ps[0], ps[0]] }, a).bytes)).toBe('invalid_parents');
    const big = signRaw({ ...base, parents: [g.cid], body: new Uint8Array(MAX_EVENT_BYTES) }, a);
    expect(codeOfDecode(big.bytes)).toBe('too_large');
  });

  it('rejects a CID that does not match the bytes, and a block that names itself', () => {
    const other = genesis(a, 'other');
    expect(codeOfDecode(g.bytes, other.cid)).toBe('cid_mismatch');
    const self = child(a, [other.cid], g.cid);
    expect(codeOfDecode(self.bytes, other.cid)).toBe('cycle');
  });

  it('rejects a format v1 event (it names its group), whatever else it holds', () => {
    const v1 = { v: 1, kind: 'message', group: g.cid, author: { key: a.publicKey }, parents: [g.cid], base: g.cid, body: utf8('b') };
    expect(codeOfDecode(signRaw(v1, a).bytes)).toBe('unsupported_version');
  });

  it('rejects a v2 event that names a group: it belongs to its parents\' group', () => {
    const raw = { v: 2, kind: 'message', group: g.cid, author: { key: a.publicKey }, parents: [g.cid], base: g.cid, body: utf8('b') };
    expect(codeOfDecode(signRaw(raw, a).bytes)).toBe('invalid_field');
    const { group: _group, ...rest } = raw;
    expect(codeOfDecode(signRaw(rest, a).bytes)).toBe('ok');
  });

  it('rejects a genesis that names a group', () => {
    const raw = { v: 2, kind: 'genesis', suite: 1, group: g.cid, author: { key: a.publicKey }, parents: [], body: utf8('b') };
    expect(codeOfDecode(signRaw(raw, a).bytes)).toBe('duplicate_genesis');
  });
});

describe('signing payload', () => {
  it('cut from the bytes equals the canonical encoding of the event without sig', async () => {
    const { encodeSigningPayload, getSigningPayload, generateDag } = await import('../src/index.ts');
    for (const e of generateDag({ events: 40, groups: 1, forkRate: 0.5, seed: 3 })) {
      const decoded = decodeEvent(e.bytes);
      expect(getSigningPayload(decoded.event)).toEqual(encodeSigningPayload(e.event));
    }
  });
});

describe('store keys', () => {
  it('round-trip event CIDs and sort in CID byte order', async () => {
    const fc = (await import('fast-check')).default;
    const { CID } = await import('multiformats/cid');
    const Digest = await import('multiformats/hashes/digest');
    const { cidKey, cidFromKey } = await import('../src/index.ts');
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 2, maxLength: 20 }), (digests) => {
        const cids = digests.map((d) => CID.createV1(0x71, Digest.create(0x12, d)));
        for (const c of cids) expect(cidFromKey(cidKey(c)).equals(c)).toBe(true);
        const byBytes = [...cids].sort((x, y) => Buffer.compare(x.bytes, y.bytes)).map(String);
        const byKey = [...cids].sort((x, y) => (cidKey(x) < cidKey(y) ? -1 : cidKey(x) > cidKey(y) ? 1 : 0)).map(String);
        expect(byKey).toEqual(byBytes);
      }),
      { numRuns: 200 },
    );
  });

  it('formatCid spells a CID exactly as multiformats toString does, for event CIDs and other codecs and lengths', async () => {
    const fc = (await import('fast-check')).default;
    const { CID } = await import('multiformats/cid');
    const Digest = await import('multiformats/hashes/digest');
    const { formatCid } = await import('../src/index.ts');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 70 }), fc.constantFrom(0x55, 0x71, 0x70), fc.constantFrom(0x12, 0x00, 0x13), (digest, codec, hashCode) => {
        // Fresh objects each time: toString() caches on the CID, formatCid must not depend on it.
        const made = () => CID.createV1(codec, Digest.create(hashCode, digest));
        expect(formatCid(made())).toBe(made().toString());
      }),
      { numRuns: 300 },
    );
    const v0 = CID.parse('QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB');
    expect(formatCid(v0)).toBe('QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB');
  });

  it('cuts signing payloads from decoded bytes, one by one or a chunk at a time, equal to re-encoding', () => {
    const a = makeSigner(3);
    const g = genesis(a);
    const built = [g, child(a, [g.cid], g.cid, 'commit', 'c', { leaf: 2 }), child(a, [g.cid], g.cid, 'message', 'm'.repeat(300))];
    const decoded = built.map((e) => decodeEvent(e.bytes).event);
    const expected = built.map((e) => toHex(encodeSigningPayload(e.event)));
    expect(decoded.map((e) => toHex(getSigningPayload(e)))).toEqual(expected);
    // A chunk mixing decoded events and an event built in memory (no bytes to cut from).
    const mixed = [decoded[0]!, built[1]!.event, decoded[2]!];
    expect(getSigningPayloads(mixed).map(toHex)).toEqual(expected);
  });
});
