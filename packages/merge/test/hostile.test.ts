import { describe, expect, it } from 'vitest';
import { computeCid, decodeEvent, type DagEvent } from '@weft/dag';
import { decodeMlsMessage, encodeMlsMessage } from '@weft/tree';
import { computeCanonicalChain, type MergeDevice } from '../src/index.ts';
import { Net, rewrap } from './harness.ts';

/** A group a,b,c,d with c cut off after making one commit; returns the net and c's unsent commit. */
function setup(perturb = false): { net: Net; commit: Uint8Array } {
  const net = new Net();
  for (const id of ['a', 'b', 'c', 'd']) net.addDevice(id);
  net.formGroup('a', ['b', 'c', 'd']);
  net.split(['a', 'b', 'd'], ['c']);
  if (perturb) net.get('c').createKeyPackage(); // a different random draw: a different commit on the same base
  const fx = net.act('c', (d, now) => d.update(now));
  const commit = fx.publish[0] as Uint8Array;
  return { net, commit };
}

function snapshot(d: MergeDevice): string {
  const v = d.view();
  const l = d.getLedger();
  return JSON.stringify({ head: v.head, epoch: v.epoch, members: v.members, tree: v.treeHash, exp: v.exporter, events: l?.entries.size, chain: l?.chain.length, worlds: d.listWorlds().length });
}

function expectRejectedEverywhere(net: Net, bytes: Uint8Array, code: string): void {
  for (const id of ['a', 'b', 'd']) {
    const d = net.get(id);
    const before = snapshot(d);
    const fx = d.ingest(bytes, net.now);
    expect(fx.rejected?.[0]?.code, `${id}`).toBe(code);
    expect(fx.publish).toHaveLength(0);
    expect(snapshot(d)).toBe(before);
  }
}

describe('hostile input', () => {
  it('a commit from a non-member is rejected with not_member on every replica', () => {
    const { net, commit } = setup();
    expectRejectedEverywhere(net, rewrap(commit, 'mallory', () => ({})), 'not_member');
  });

  it('a commit that fails MLS validation (bad FramedContent signature) is rejected with invalid_commit', () => {
    const { net, commit } = setup();
    const bad = rewrap(commit, 'c', (e) => {
      const m = decodeMlsMessage(e.body);
      if (m.wireFormat !== 'public_message') throw new Error('unexpected');
      const sig = m.publicMessage.auth.signature.slice();
      sig[0] = (sig[0] as number) ^ 1;
      return { body: encodeMlsMessage({ wireFormat: 'public_message', publicMessage: { ...m.publicMessage, auth: { ...m.publicMessage.auth, signature: sig } } }) };
    });
    expectRejectedEverywhere(net, bad, 'invalid_commit');
    expect(net.get('a').listRejections().at(-1)?.detail).toBe('signature_invalid');
  });

  it('a commit whose signed content was altered after signing (first and last content bytes) is rejected with invalid_commit', () => {
    const { net, commit } = setup();
    // authenticated_data sits near the start of the FramedContent, the last path ciphertext at its end.
    const alter = (edit: 'start' | 'end'): Uint8Array =>
      rewrap(commit, 'c', (e) => {
        const m = decodeMlsMessage(e.body);
        if (m.wireFormat !== 'public_message' || m.publicMessage.content.contentType !== 'commit') throw new Error('unexpected');
        const content = m.publicMessage.content;
        const path = content.commit.path;
        const last = path?.nodes.at(-1)?.encryptedPathSecret.at(-1);
        if (!path || !last) throw new Error('expected a path with ciphertexts');
        const ciphertext = last.ciphertext.slice();
        ciphertext[ciphertext.length - 1] = (ciphertext[ciphertext.length - 1] as number) ^ 1;
        const nodes = path.nodes.map((n, i) => (i < path.nodes.length - 1 ? n : { ...n, encryptedPathSecret: n.encryptedPathSecret.map((c, j) => (j < n.encryptedPathSecret.length - 1 ? c : { ...c, ciphertext })) }));
        const altered = edit === 'start' ? { ...content, authenticatedData: Uint8Array.of(1) } : { ...content, commit: { ...content.commit, path: { ...path, nodes } } };
        return { body: encodeMlsMessage({ wireFormat: 'public_message', publicMessage: { ...m.publicMessage, content: altered } }) };
      });
    for (const edit of ['start', 'end'] as const) {
      expectRejectedEverywhere(net, alter(edit), 'invalid_commit');
      expect(net.get('a').listRejections().at(-1)?.detail, edit).toBe('signature_invalid');
    }
  });

  it('a commit whose resolves names its own base (an ancestor) is rejected with bogus_resolves', () => {
    const { net, commit } = setup();
    expectRejectedEverywhere(net, rewrap(commit, 'c', (e) => ({ resolves: [e.base as NonNullable<DagEvent['base']>] })), 'bogus_resolves');
  });

  it('garbage bytes and events of another group are typed rejections', () => {
    const { net } = setup();
    expectRejectedEverywhere(net, new Uint8Array([1, 2, 3]), 'event_invalid');
    const other = new Net();
    other.addDevice('z');
    other.formGroup('z', []);
    expectRejectedEverywhere(net, other.events[0] as Uint8Array, 'wrong_group');
  });

  it('a commit whose base never arrives waits (pending) and changes nothing', () => {
    const { net, commit } = setup();
    const fake = computeCid(new Uint8Array([9, 9, 9]));
    const orphan = rewrap(commit, 'c', () => ({ base: fake }));
    for (const id of ['a', 'b', 'd']) {
      const d = net.get(id);
      const before = snapshot(d);
      const fx = d.ingest(orphan, net.now);
      expect(fx.rejected).toBeUndefined();
      expect(snapshot(d)).toBe(before);
      expect(d.getLedger()?.pending.size).toBe(1);
    }
  });

  it('equivocation (one leaf, two commits on one base) is resolved by CID bytes, the same everywhere', () => {
    const one = setup(false);
    const two = setup(true);
    expect(decodeEvent(one.commit).cid.equals(decodeEvent(two.commit).cid)).toBe(false);
    const net = one.net;
    net.heal();
    net.flush();
    for (const d of net.devices.values()) net.apply(d.id, d.ingest(two.commit, net.now));
    net.settle();
    const cids = [decodeEvent(one.commit).cid, decodeEvent(two.commit).cid].sort((x, y) => Buffer.compare(Buffer.from(x.bytes), Buffer.from(y.bytes)));
    const heads = [...net.devices.values()].map((d) => d.getCanonicalChain()?.chain[2]);
    for (const h of heads) expect(h).toBe(cids[0]?.toString());
    const pub = computeCanonicalChain([...net.events, two.commit]);
    expect(pub.head).toBe(net.get('a').view().head);
    expect(new Set([...net.devices.values()].map((d) => d.view().exporter)).size).toBe(1);
  });

  it('a late commit on an evicted epoch is processed publicly, recorded as base_evicted privately, and does not diverge', () => {
    const net = new Net();
    for (const id of ['a', 'b', 'c', 'd']) net.addDevice(id, { retention: { forkHorizon: 2, messageHorizon: 50 } });
    net.formGroup('a', ['b', 'c', 'd']);
    net.split(['a', 'b', 'c'], ['d']);
    const late = net.act('d', (d, now) => d.update(now)).publish[0] as Uint8Array;
    for (let i = 0; i < 4; i++) {
      net.act('b', (d, now) => d.update(now));
      net.settle();
    }
    const before = net.get('a').view().head;
    for (const id of ['a', 'b', 'c']) net.get(id).ingest(late, net.now);
    const lateCid = decodeEvent(late).cid.toString();
    for (const id of ['a', 'b', 'c']) {
      expect(net.get(id).getWorldStatus(lateCid)).toBe('base_evicted');
      expect(net.get(id).view().head).toBe(before); // b (leaf 1) beat d (leaf 3) at the fork
    }
    const pub = computeCanonicalChain(net.events.concat([late]));
    expect(pub.head).toBe(before);
  });
});

import fc from 'fast-check';

describe('hostile input: fuzz', () => {
  const { net, commit } = setup();
  const a = net.get('a');
  it('mutated commit events never throw out of ingest; a rejection leaves the state unchanged', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: commit.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const bad = commit.slice();
        bad[at] = (bad[at] as number) ^ x;
        const before = snapshot(a);
        const fx = a.ingest(bad, net.now);
        if (fx.rejected && fx.rejected.length > 0) expect(snapshot(a)).toBe(before);
        else expect(a.getLedger()?.pending.size ?? 0).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 150 },
    );
  });

  it('re-signed commits with mutated MLS bodies get a typed code and change nothing, or pass public checks (tags are private)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 1, max: 255 }), (pos, x) => {
        const bad = rewrap(commit, 'c', (e) => {
          const body = e.body.slice();
          const at = pos % body.length;
          body[at] = (body[at] as number) ^ x;
          return { body };
        });
        const before = snapshot(a);
        const fx = a.ingest(bad, net.now);
        const code = fx.rejected?.[0]?.code;
        if (code !== undefined) {
          expect(['event_invalid', 'invalid_commit', 'not_member', 'path_required', 'bogus_resolves']).toContain(code);
          expect(snapshot(a)).toBe(before);
        }
      }),
      { numRuns: 150 },
    );
  });
});
