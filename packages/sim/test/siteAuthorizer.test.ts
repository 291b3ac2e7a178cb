import { describe, expect, it } from 'vitest';
import { getCipherSuite } from '@weft/crypto';
import { buildEvent, createSuiteResolver, decodeEvent, openMemoryStore } from '@weft/dag';
import { createDevice } from '@weft/merge';
import { createSiteAuthorizer } from '../src/index.ts';

function seeded(label: string): (n: number) => Uint8Array {
  let i = 0;
  return (n) => Uint8Array.from({ length: n }, (_, j) => (label.charCodeAt(j % label.length) * 31 + i++ * 7 + j) & 0xff);
}

describe('site membership check (DagStore authorize)', () => {
  it('a site stores handshakes of members and refuses, unchanged, a commit whose author is not a member of its base', async () => {
    const a = createDevice({ id: 'a', suite: 1, random: seeded('a') });
    const b = createDevice({ id: 'b', suite: 1, random: seeded('b') });
    const events: Uint8Array[] = [];
    const deliver = (fx: { publish: Uint8Array[] }, to: typeof a): void => {
      for (const e of fx.publish) {
        events.push(e);
        to.ingest(e, 0);
      }
    };
    deliver(a.createGroup(0), b);
    deliver(a.add([b.createKeyPackage()], 0), b);
    const update = b.update(0).publish[0] as Uint8Array;

    const authorizer = createSiteAuthorizer();
    const store = await openMemoryStore({ resolveSuite: createSuiteResolver('node'), authorize: authorizer.hook });
    authorizer.attach(store);
    for (const e of events) expect((await store.add(e))[0]?.status).toBe('accepted');
    const group = decodeEvent(events[0] as Uint8Array).cid;
    const heads = (await store.getHeads(group)).map(String);

    // The same commit body under the envelope of a device that is not a member.
    const cs = getCipherSuite(1, 'node', { random: seeded('mallory') });
    const kp = cs.signatureGenerateKeyPair();
    const { v: _v, sig: _s, author, ...rest } = decodeEvent(update).event;
    const forged = buildEvent({ ...rest, leaf: author.leaf ?? 0 }, { suite: cs, privateKey: kp.privateKey, publicKey: kp.publicKey });
    const refused = (await store.add(forged.bytes))[0];
    expect(refused?.status).toBe('rejected');
    expect(refused?.status === 'rejected' ? refused.error.code : '').toBe('unauthorized');
    expect(refused?.status === 'rejected' ? refused.error.message : '').toMatch(/not_member/);
    expect((await store.getHeads(group)).map(String)).toEqual(heads);
    expect(await store.has(forged.cid)).toBe(false);

    expect((await store.add(update))[0]?.status).toBe('accepted');
    await store.close();
  });
});
