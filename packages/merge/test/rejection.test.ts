// A member's commit that passes every public check but fails private MLS validation (a bad
// confirmation tag, garbage encrypted path secrets): a member that cannot process it rejects it
// with a sibling commit naming it in `resolves`, and every replica then ranks it last.
import { describe, expect, it } from 'vitest';
import { getCipherSuite } from '@weft/crypto';
import { cidKey, decodeEvent } from '@weft/dag';
import { attachConfirmationTag, decodeMlsMessage, encodeMlsMessage, signFramedContent, type PublicMessage } from '@weft/tree';
import { PublicLedger, computeCanonicalChain } from '../src/index.ts';
import { Net, reproduceSigner, rewrap } from './harness.ts';

const HONEST = ['a', 'b', 'd'];

/** a,b,c,d with c cut off; c makes an update commit that nobody receives; returns it with the net. */
function setup(): { net: Net; commit: Uint8Array; base: string } {
  const net = new Net();
  for (const id of ['a', 'b', 'c', 'd']) net.addDevice(id, { rebaseIntervalMs: 100 });
  net.formGroup('a', ['b', 'c', 'd']);
  net.split(HONEST, ['c']);
  const commit = net.get('c').update(net.now).publish[0] as Uint8Array;
  const base = cidKey(decodeEvent(commit).event.base as NonNullable<ReturnType<typeof decodeEvent>['event']['base']>);
  return { net, commit, base };
}

/** Re-signs c's commit with its MLS content changed by `change` (the FramedContent signature stays valid). */
function tamper(net: Net, commit: Uint8Array, base: string, change: (pm: PublicMessage) => PublicMessage): Uint8Array {
  const signer = reproduceSigner('c');
  return rewrap(commit, 'c', (e) => {
    const m = decodeMlsMessage(e.body);
    if (m.wireFormat !== 'public_message') throw new Error('unexpected');
    const pm = change(m.publicMessage);
    const gc = net.get('a').getLedger()?.getEpoch(base)?.groupContextBytes as Uint8Array;
    const signed = signFramedContent(getCipherSuite(1, 'node'), gc, 'public_message', pm.content, signer.privateKey);
    const tag = pm.auth.confirmationTag as Uint8Array;
    const auth = attachConfirmationTag(signed, tag).auth;
    return { body: encodeMlsMessage({ wireFormat: 'public_message', publicMessage: { ...pm, auth } }) };
  });
}

/** Delivers a hostile event to every honest device, then lets them act until quiet. */
function injectAndSettle(net: Net, bad: Uint8Array): void {
  for (const id of HONEST) {
    const fx = net.get(id).ingest(bad, net.now);
    expect(fx.rejected ?? [], `${id} accepts it publicly`).toEqual([]);
  }
  net.settle();
}

function expectRejectedEverywhere(net: Net, bad: Uint8Array): void {
  const badCid = decodeEvent(bad).cid.toString();
  const views = HONEST.map((id) => net.get(id).view());
  const head = views[0]?.head;
  for (const v of views) {
    expect(v.head, `${v.id} head`).toBe(head);
    expect(v.head, `${v.id} head`).not.toBe(badCid);
    expect(v.exporter, `${v.id} has the head world`).not.toBeNull();
    expect(v.exporter).toBe(views[0]?.exporter);
    expect(net.get(v.id).getLedger()?.isRejected(cidKey(decodeEvent(bad).cid)), `${v.id} sees it rejected`).toBe(true);
  }
  // A site, with no secret, computes the same head from the same events, the bad commit included.
  expect(computeCanonicalChain([...net.events, bad]).head).toBe(head);
  // Exactly one member rejected it (duty order), with a commit on the same base naming it.
  const rejections = net.events.map((e) => decodeEvent(e).event).filter((e) => e.kind === 'commit' && (e.resolves ?? []).some((r) => r.toString() === badCid));
  expect(rejections).toHaveLength(1);
  expect(rejections[0]?.base?.toString()).toBe(decodeEvent(bad).event.base?.toString());
  // The group works: a message after the rejection is readable by every honest member.
  net.act('a', (d, now) => d.send('after the rejection', now));
  net.settle();
  for (const id of HONEST) expect(net.get(id).view().messages.map((m) => m.text), id).toContain('after the rejection');
}

describe('commits that fail private MLS validation', () => {
  it('a bad confirmation tag: every honest member fails it, one rejects it, all converge on the rejection', () => {
    const { net, commit, base } = setup();
    const bad = tamper(net, commit, base, (pm) => {
      const tag = (pm.auth.confirmationTag as Uint8Array).slice();
      tag[0] = (tag[0] as number) ^ 1;
      return { ...pm, auth: { ...pm.auth, confirmationTag: tag } };
    });
    for (const id of HONEST) net.get(id).ingest(bad, net.now);
    expect(net.get('a').view().head).toBe(decodeEvent(bad).cid.toString());
    expect(net.get('a').getWorldStatus(decodeEvent(bad).cid.toString())).toBe('commit_invalid');
    net.settle();
    expectRejectedEverywhere(net, bad);
  });

  it('a garbage encrypted path secret (the member below it cannot decrypt; the others fail the tag): one rejects it, all converge', () => {
    const { net, commit, base } = setup();
    const bad = tamper(net, commit, base, (pm) => {
      if (pm.content.contentType !== 'commit' || pm.content.commit.path === null) throw new Error('unexpected');
      const path = pm.content.commit.path;
      const [first, ...others] = path.nodes;
      if (!first) throw new Error('unexpected');
      const cts = first.encryptedPathSecret.map((ct) => {
        const c = ct.ciphertext.slice();
        c[0] = (c[0] as number) ^ 1;
        return { ...ct, ciphertext: c };
      });
      const nodes = [{ ...first, encryptedPathSecret: cts }, ...others];
      return { ...pm, content: { ...pm.content, commit: { ...pm.content.commit, path: { ...path, nodes } } } };
    });
    injectAndSettle(net, bad);
    const status = HONEST.map((id) => net.get(id).getWorldStatus(decodeEvent(bad).cid.toString()));
    expect(status).toEqual(['commit_invalid', 'commit_invalid', 'commit_invalid']);
    expectRejectedEverywhere(net, bad);
  });
});

describe('public rejection rule', () => {
  /** Re-signs `commit` as `by` so that it also lists `target` in resolves and as a parent. */
  const naming = (commit: Uint8Array, by: string, target: Uint8Array): Uint8Array => {
    const t = decodeEvent(target).cid;
    return rewrap(commit, by, (e) => ({ resolves: [t], parents: [...e.parents, t] }));
  };

  it('a sibling by another member rejects; one by the same committer, or by a member the target removes, does not', () => {
    const net = new Net();
    for (const id of ['a', 'b', 'c', 'd']) net.addDevice(id);
    net.formGroup('a', ['b', 'c', 'd']);
    const setupEvents = [...net.events];
    net.split(['a'], ['b'], ['c'], ['d']);
    const removeD = net.get('b').remove(['d'], net.now).publish[0] as Uint8Array;
    const byD = net.get('d').update(net.now).publish[0] as Uint8Array;
    const byC = net.get('c').update(net.now).publish[0] as Uint8Array;
    const target = decodeEvent(removeD).cid;
    const ledgerWith = (extra: Uint8Array): PublicLedger => {
      const ledger = new PublicLedger(cidKey(decodeEvent(setupEvents[0] as Uint8Array).cid));
      for (const e of [...setupEvents, removeD, extra]) expect(ledger.add(e).rejected).toEqual([]);
      return ledger;
    };
    // d, whom the commit removes, cannot reject it: b's commit (leaf 1) still beats d's (leaf 3).
    const byRemoved = ledgerWith(naming(byD, 'd', removeD));
    expect(byRemoved.isRejected(cidKey(target))).toBe(false);
    expect(byRemoved.isCanonical(cidKey(target))).toBe(true);
    // b cannot reject its own commit with an equivocating sibling.
    expect(ledgerWith(naming(removeD, 'b', removeD)).isRejected(cidKey(target))).toBe(false);
    // c, a member the commit keeps, rejects it: c's commit wins although its leaf (2) is higher.
    const rejecter = naming(byC, 'c', removeD);
    const byMember = ledgerWith(rejecter);
    expect(byMember.isRejected(cidKey(target))).toBe(true);
    expect(byMember.isCanonical(cidKey(target))).toBe(false);
    expect(byMember.isCanonical(cidKey(decodeEvent(rejecter).cid))).toBe(true);
  });
});
